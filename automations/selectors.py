"""Reads about automations for the admin's list: their runs lately, and conflicts."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Case, Count, Exists, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from automations.jobs import registry
from automations.models import Automation, Run

RECENT = timedelta(days=7)


def with_run_figures(queryset: QuerySet[Automation]) -> QuerySet[Automation]:
    """Each automation with its last run and its runs and failed runs of the last 7 days,
    as subqueries in the list's one query (no query per row)."""
    since = timezone.now() - RECENT
    runs = Run.objects.filter(automation=OuterRef("pk")).order_by().values("automation")
    recent = runs.filter(created_at__gte=since)

    def counted(subquery):
        return Coalesce(Subquery(subquery, output_field=IntegerField()), Value(0))

    return queryset.annotate(
        last_run_at=Subquery(runs.annotate(last=Max("created_at")).values("last")),
        runs_recent=counted(recent.annotate(n=Count("*")).values("n")),
        failed_recent=counted(recent.filter(status=Run.Status.FAILED).annotate(n=Count("*")).values("n")),
    )


def password_jobs() -> set[str]:
    return {key for key, job in registry().items() if job.sends_password}


def password_conflicts(organization_id: int | None = None) -> set[int]:
    """Active automations that send a new password on an event on which another active
    automation of the same organization sends one too: the first mail's password no
    longer works once the second is sent."""
    active = Automation.objects.filter(is_active=True, job_type__in=password_jobs())
    if organization_id is not None:
        active = active.filter(organization_id=organization_id)
    shared = (
        active.values("organization_id", "event_type", "event_name")
        .annotate(n=Count("*"))
        .filter(n__gt=1)
        .values_list("organization_id", "event_type", "event_name")
    )
    if not shared:
        return set()
    condition = Q()
    for organization, event_type, event_name in shared:
        condition |= Q(organization_id=organization, event_type=event_type, event_name=event_name)
    return set(active.filter(condition).values_list("pk", flat=True))


def with_password_conflict(queryset: QuerySet[Automation]) -> QuerySet[Automation]:
    """Each automation marked `password_conflict` when it is one of password_conflicts()."""
    others = Automation.objects.filter(
        organization=OuterRef("organization"),
        event_type=OuterRef("event_type"),
        event_name=OuterRef("event_name"),
        is_active=True,
        job_type__in=password_jobs(),
    ).exclude(pk=OuterRef("pk"))
    mine = Q(is_active=True, job_type__in=password_jobs())
    return queryset.annotate(
        password_conflict=Case(When(mine & Q(Exists(others)), then=Value(True)), default=Value(False))
    )


def other_password_automations(automation: Automation) -> QuerySet[Automation]:
    """The other active automations that send a password on this automation's event."""
    if not (automation.is_active and automation.job_type in password_jobs()):
        return Automation.objects.none()
    return Automation.objects.filter(
        organization_id=automation.organization_id,
        event_type=automation.event_type,
        event_name=automation.event_name,
        is_active=True,
        job_type__in=password_jobs(),
    ).exclude(pk=automation.pk)
