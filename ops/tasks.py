from ops import dashboard


def recount_mail_days() -> int:
    return dashboard.recount_mail_days()
