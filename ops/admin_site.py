"""The admin site: Django's, with the dashboard of one organization on its index page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.sites import UnfoldAdminSite

from contacts.models import Organization
from contacts.tenancy import is_host_admin, is_member, organization_of
from ops import dashboard as figures


def dashboard_organization(request: HttpRequest) -> Organization | None:
    """A member's own organization; the one a host administrator chose (?organization=id)."""
    if not is_member(request):
        return None
    if not is_host_admin(request):
        return organization_of(request)
    chosen = request.GET.get("organization", "")
    return Organization.objects.filter(pk=chosen).first() if chosen.isdigit() else None


# The navigation, grouped by what a marketer does; models not named here (django-q's
# queue, auth groups) form the host's own section, which only host administrators see.
SECTIONS: list[tuple[str, object, list[str]]] = [
    ("audience", _("Audience"), [
        "contacts.contact", "contacts.group", "contacts.tag", "contacts.selection", "contacts.contactimport",
        "contacts.attributedefinition", "contacts.consentrecord", "contacts.suppression",
    ]),
    ("messages", _("Messages"), [
        "notifications.preparedmessage", "notifications.sendout", "notifications.outboundmessage",
        "notifications.conversation", "notifications.inboundmessage",
    ]),
    ("automations", _("Automations"), ["automations.automation", "automations.run", "automations.event",
                                        "automations.holiday"]),
    ("integrations", _("Integrations"), [
        "integrations.salesforceconnection", "integrations.salesforcenotification",
        "integrations.activecampaignconnection", "integrations.webhookendpoint", "integrations.inboundnotification",
    ]),
    ("settings", _("Settings"), [
        "notifications.mailsettings", "notifications.senderdomain", "notifications.sendquota", "api.apikey",
        "api.oauthclient", "contacts.user", "contacts.organization",
    ]),
]  # fmt: skip


# Where a model of an Engage app that SECTIONS does not name goes: after the named ones of
# its app's section, so that a new model never ends up among the host's pages.
SECTION_OF_APP = {
    "contacts": "audience",
    "notifications": "messages",
    "automations": "automations",
    "integrations": "integrations",
    "api": "settings",
}


def grouped(app_list: list[dict]) -> list[dict]:
    """Django's list of apps, regrouped into SECTIONS (in their order), then the rest."""
    models = {f"{app['app_label']}.{m['object_name'].lower()}": m for app in app_list for m in app["models"]}
    named = {member for _, _, members in SECTIONS for member in members}
    sections = []
    for key, name, members in SECTIONS:
        chosen = [models.pop(member) for member in members if member in models]
        unnamed = [label for label in models if label not in named and SECTION_OF_APP.get(label.split(".")[0]) == key]
        chosen += [models.pop(label) for label in unnamed]
        if chosen:
            sections.append(
                {"name": name, "app_label": key, "app_url": f"#{key}", "has_module_perms": True, "models": chosen}
            )
    if models:
        rest = list(models.values())
        sections.append(
            {"name": _("Host"), "app_label": "host", "app_url": "#host", "has_module_perms": True, "models": rest}
        )
    return sections


# The sidebar's icon of each section's pages (Material Symbols names).
SECTION_ICONS = {
    "audience": "group",
    "messages": "mail",
    "automations": "bolt",
    "integrations": "cable",
    "settings": "settings",
    "host": "dns",
}


def sidebar_navigation(request: HttpRequest) -> list[dict]:
    """The sidebar: the dashboard, then the sections of the site's own app list, so that it
    shows exactly the pages this user may open (and the host's only to host administrators)."""
    dashboard = {"title": _("Dashboard"), "icon": "dashboard", "link": reverse("admin:index")}
    sections = [
        {
            "title": section["name"],
            "items": [
                {
                    "title": model["name"],
                    "icon": SECTION_ICONS.get(section["app_label"], "table_rows"),
                    "link": model["admin_url"],
                }
                for model in section["models"]
                if model.get("admin_url")
            ],
        }
        for section in admin.site.get_app_list(request)
    ]
    return [{"items": [dashboard]}, *sections]


class EngageAdminSite(UnfoldAdminSite):
    index_template = "admin/ops/index.html"

    def login(self, request: HttpRequest, extra_context: dict | None = None):
        # unfold's login form has no "next" field: without one in the address, the form posts
        # to an address that names the dashboard (not Django's /accounts/profile/).
        if REDIRECT_FIELD_NAME not in request.GET:
            extra_context = {"app_path": f"{request.path}?{urlencode({REDIRECT_FIELD_NAME: reverse('admin:index')})}"}
        return super().login(request, extra_context)

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        app_list = super().get_app_list(request, app_label)
        return app_list if app_label else grouped(app_list)

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        organization = dashboard_organization(request)
        context = {"organizations": Organization.objects.order_by("name") if is_host_admin(request) else None}
        if organization is not None:
            dashboard = figures.build_dashboard(organization)
            context |= {
                "dashboard": dashboard,
                "bars": figures.chart_bars(dashboard.days),
                "series": [(key, label) for key, label, _statuses in figures.MAIL_SERIES],
                "bar_width": figures.BAR_WIDTH,
                "chart_height": figures.CHART_HEIGHT,
                "chart_width": len(dashboard.days) * (figures.BAR_WIDTH + figures.BAR_GAP),
            }
        return super().index(request, {**context, **(extra_context or {})})
