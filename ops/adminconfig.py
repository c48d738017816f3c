from django.contrib.admin.apps import AdminConfig


class EngageAdminConfig(AdminConfig):
    """Django's admin with Engage's site: the dashboard on the index page."""

    default_site = "ops.admin_site.EngageAdminSite"
