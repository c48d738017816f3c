"""Steps in the admin that many browser tests take."""

PASSWORD = "correct horse battery staple"


def log_in_to_admin(page, username: str = "bob", password: str = PASSWORD) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Dashboard").first.wait_for()
