"""The admin's navigation, grouped by what a marketer does."""

import re

from django.utils import translation


def sections(page: str) -> list[str]:
    return re.findall(r'<div class="app-(\w+) module', page)


def test_a_marketer_sees_the_sections_in_the_order_of_the_work(client, bob):
    client.force_login(bob)
    page = client.get("/admin/").text
    assert sections(page)[:5] == ["audience", "messages", "automations", "integrations", "settings"]
    assert "host" not in sections(page)


def test_a_host_administrator_also_sees_the_hosts_own_section(client, host_admin):
    client.force_login(host_admin)
    page = client.get("/admin/").text
    assert sections(page)[-1] == "host"
    assert "/admin/django_q/" in page


def test_the_sections_are_named_in_german(client, bob):
    bob.language = "de"
    client.force_login(bob)
    with translation.override("de"):
        page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="de").text
    assert "Zielgruppe" in page and "Einstellungen" in page


def test_an_apps_own_page_still_lists_its_models(client, bob):
    client.force_login(bob)
    assert client.get("/admin/contacts/").status_code == 200


def test_a_model_the_list_does_not_name_goes_to_its_apps_section():
    from ops.admin_site import grouped

    app_list = [
        {"app_label": "integrations", "models": [{"object_name": "SomethingNew"}]},
        {"app_label": "django_q", "models": [{"object_name": "Schedule"}]},
    ]
    assert [(s["app_label"], [m["object_name"] for m in s["models"]]) for s in grouped(app_list)] == [
        ("integrations", ["SomethingNew"]),
        ("host", ["Schedule"]),
    ]


def test_the_sidebar_lists_the_same_sections_and_only_pages_the_user_may_open(client, bob):
    client.force_login(bob)
    sidebar = client.get("/admin/").context["sidebar_navigation"]
    titles = [str(group.get("title", "")) for group in sidebar]
    assert titles[1:5] == ["Audience", "Messages", "Automations", "Integrations"] and "Host" not in titles
    links = [item["link"] for group in sidebar for item in group["items"]]
    assert "/admin/contacts/contact/" in links and not any(link.startswith("/admin/django_q/") for link in links)


def test_the_sidebar_of_a_host_administrator_ends_with_the_hosts_section(client, host_admin):
    client.force_login(host_admin)
    sidebar = client.get("/admin/").context["sidebar_navigation"]
    assert str(sidebar[-1]["title"]) == "Host"
    assert any(item["link"].startswith("/admin/django_q/") for item in sidebar[-1]["items"])
