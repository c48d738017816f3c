"""The admin site: Django's, with the dashboard of one organization on its index page."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

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


class EngageAdminSite(admin.AdminSite):
    index_template = "admin/ops/index.html"

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
