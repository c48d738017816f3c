"""The admin's dashboard: what happened to one organization's mail, runs and audience
lately, as a handful of aggregate queries (each figure links to the list behind it).

Every query is filtered by organization and a time window first; the indexes
(organization, created_at, status) on messages and (organization, status, created_at)
on runs let PostgreSQL answer from the index alone (see bench/dashboard.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from automations.models import Run
from contacts.models import ContactImport, Organization, Suppression
from notifications.models import OutboundMessage
from ops.models import MailDay

MAIL_DAYS = 30
RUN_DAYS = 7
FAILING_SHOWN = 5
IMPORTS_SHOWN = 5

Status = OutboundMessage.Status
# The chart's series: what a marketer asks of a mail (several stored statuses each).
MAIL_SERIES: list[tuple[str, object, tuple[str, ...]]] = [
    ("sent", _("sent"), (Status.SENT, Status.DELIVERED, Status.OPENED, Status.CLICKED)),
    ("failed", _("failed or bounced"), (Status.FAILED, Status.BOUNCED, Status.COMPLAINED)),
    ("suppressed", _("suppressed"), (Status.SUPPRESSED,)),
    ("waiting", _("waiting"), (Status.QUEUED, Status.SENDING)),
]
SERIES_OF = {status: key for key, _label, statuses in MAIL_SERIES for status in statuses}


@dataclass(frozen=True)
class Figure:
    label: str
    count: int
    url: str
    key: str = ""
    colour: str = ""


@dataclass(frozen=True)
class Day:
    day: date
    counts: dict[str, int]
    url: str

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Dashboard:
    organization: Organization
    days: list[Day]
    mail_totals: list[Figure]
    runs: list[Figure]
    failing: list[Figure]
    suppressions: list[Figure]
    imports: list[ContactImport] = field(default_factory=list)

    @property
    def busiest_day(self) -> int:
        return max((day.total for day in self.days), default=0)


def changelist(model, organization: Organization, **lookups) -> str:
    """The admin list of `model`, filtered by the given lookups (and the organization, for
    a host administrator, who sees every organization's rows there)."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode({**lookups, 'organization__id__exact': organization.pk})}"


def build_dashboard(organization: Organization, *, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    today = timezone.localdate(now)
    days = mails_per_day(organization, today=today)
    return Dashboard(
        organization=organization,
        days=days,
        mail_totals=mail_totals(organization, days),
        runs=runs_by_status(organization, today=today),
        failing=failing_automations(organization, today=today),
        suppressions=suppressions_by_reason(organization, today=today),
        imports=recent_imports(organization),
    )


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _start(today: date, days: int) -> datetime:
    """The first moment of the window of `days` days that ends today (local time)."""
    return _midnight(today - timedelta(days=days - 1))


def mails_per_day(organization: Organization, *, today: date) -> list[Day]:
    """The last MAIL_DAYS days: closed days as counted in MailDay (counted now if missing),
    today counted live."""
    window = [today - timedelta(days=n) for n in range(MAIL_DAYS - 1, -1, -1)]
    closed = MailDay.objects.filter(organization=organization, day__gte=window[0], day__lt=today)
    stored = dict(closed.values_list("day", "counts"))
    missing = [day for day in window[:-1] if day not in stored]
    if missing:
        stored |= count_mail_days(organization, first=missing[0], today=today)
    stored |= _count(organization, first=today, until=today + timedelta(days=1))
    return [
        Day(
            day=day,
            counts=_series(stored.get(day, {})),
            url=changelist(OutboundMessage, organization, created_at__date=day.isoformat()),
        )
        for day in window
    ]


def count_mail_days(organization: Organization, *, first: date, today: date) -> dict[date, dict[str, int]]:
    """Count and store the organization's mails of the closed days from `first` to yesterday."""
    counted = _count(organization, first=first, until=today)
    days = [first + timedelta(days=n) for n in range((today - first).days)]
    MailDay.objects.bulk_create(
        [MailDay(organization=organization, day=day, counts=counted.get(day, {})) for day in days],
        update_conflicts=True,
        unique_fields=["organization", "day"],
        update_fields=["counts", "counted_at"],
    )
    return {day: counted.get(day, {}) for day in days}


def recount_mail_days(*, today: date | None = None) -> int:
    """Recount the closed days of the dashboard's window for every organization that sent
    mail in it (hourly: tracking changes statuses after the day). Returns how many."""
    today = today or timezone.localdate()
    first = today - timedelta(days=MAIL_DAYS - 1)
    senders = OutboundMessage.objects.filter(created_at__gte=_start(today, MAIL_DAYS)).values("organization_id")
    organizations = Organization.objects.filter(pk__in=senders)
    for organization in organizations:
        count_mail_days(organization, first=first, today=today)
    return len(organizations)


def _count(organization: Organization, *, first: date, until: date) -> dict[date, dict[str, int]]:
    """Mails by local day and stored status, from the first moment of `first` to `until`."""
    rows = (
        OutboundMessage.objects.filter(
            organization=organization, created_at__gte=_midnight(first), created_at__lt=_midnight(until)
        )
        .annotate(day=TruncDate("created_at"))
        .values_list("day", "status")
        .annotate(count=Count("*"))
        .order_by()
    )
    counted: dict[date, dict[str, int]] = {}
    for day, status, count in rows:
        counted.setdefault(day, {})[status] = count
    return counted


def _series(by_status: dict[str, int]) -> dict[str, int]:
    series = dict.fromkeys(SERIES_OF.values(), 0)
    for status, count in by_status.items():
        series[SERIES_OF.get(status, "waiting")] += count
    return series


def mail_totals(organization: Organization, days: list[Day]) -> list[Figure]:
    since = days[0].day.isoformat()
    return [
        Figure(
            label=str(label),
            count=sum(day.counts[key] for day in days),
            url=changelist(OutboundMessage, organization, status__in=",".join(statuses), created_at__date__gte=since),
            key=key,
            colour=COLOURS[key],
        )
        for key, label, statuses in MAIL_SERIES
    ]


def runs_by_status(organization: Organization, *, today: date) -> list[Figure]:
    return _counts_by_choice(Run, "status", Run.Status.choices, organization, _start(today, RUN_DAYS))


def failing_automations(organization: Organization, *, today: date) -> list[Figure]:
    """The automations with the most failed runs in the last RUN_DAYS days."""
    start = _start(today, RUN_DAYS)
    rows = (
        Run.objects.filter(organization=organization, status=Run.Status.FAILED, created_at__gte=start)
        .values_list("automation_id", "automation__name")
        .annotate(count=Count("*"))
        .order_by("-count", "automation__name")[:FAILING_SHOWN]
    )
    since = timezone.localdate(start).isoformat()
    return [
        Figure(
            label=name,
            count=count,
            url=changelist(
                Run,
                organization,
                automation__id__exact=automation_id,
                status__exact=Run.Status.FAILED,
                created_at__date__gte=since,
            ),
            key=str(automation_id),
        )
        for automation_id, name, count in rows
    ]


def suppressions_by_reason(organization: Organization, *, today: date) -> list[Figure]:
    """Addresses added to the suppression list in the last MAIL_DAYS days, by reason."""
    return _counts_by_choice(Suppression, "reason", Suppression.Reason.choices, organization, _start(today, MAIL_DAYS))


def _counts_by_choice(model, choice_field: str, choices, organization: Organization, start: datetime) -> list[Figure]:
    """One figure per choice of `choice_field`: the organization's rows created since `start`
    (one grouped query), each linking to the list filtered the same way."""
    rows = dict(
        model.objects.filter(organization=organization, created_at__gte=start)
        .values_list(choice_field)
        .annotate(count=Count("*"))
        .order_by()
    )
    since = timezone.localdate(start).isoformat()
    return [
        Figure(
            label=str(label),
            count=rows.get(value, 0),
            url=changelist(model, organization, **{f"{choice_field}__exact": value}, created_at__date__gte=since),
            key=value,
        )
        for value, label in choices
    ]


def recent_imports(organization: Organization) -> list[ContactImport]:
    return list(ContactImport.objects.filter(organization=organization).order_by("-created_at")[:IMPORTS_SHOWN])


# --- The chart -------------------------------------------------------------------------
CHART_HEIGHT = 160
BAR_WIDTH = 20
BAR_GAP = 6
COLOURS = {"sent": "#2e7d32", "failed": "#c62828", "suppressed": "#757575", "waiting": "#f9a825"}


@dataclass(frozen=True)
class Segment:
    key: str
    count: int
    y: int
    height: int
    colour: str


@dataclass(frozen=True)
class Bar:
    day: Day
    x: int
    segments: list[Segment]


def chart_bars(days: list[Day], *, height: int = CHART_HEIGHT) -> list[Bar]:
    """Stacked bars (sent at the bottom), scaled to the busiest day."""
    busiest = max((day.total for day in days), default=0) or 1
    bars = []
    for index, day in enumerate(days):
        top, segments = height, []
        for key, _label, _statuses in MAIL_SERIES:
            count = day.counts.get(key, 0)
            size = round(count * height / busiest) if count else 0
            if count and not size:
                size = 1  # a day with one failure still shows it
            top -= size
            segments.append(Segment(key=key, count=count, y=top, height=size, colour=COLOURS[key]))
        bars.append(Bar(day=day, x=index * (BAR_WIDTH + BAR_GAP), segments=segments))
    return bars
