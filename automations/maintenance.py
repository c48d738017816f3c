"""Work on runs that marketers and the schedule ask for: retry, replay, purge, alerts."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from automations.models import Event, Run
from contacts.models import Organization, User
from notifications.services import render_mail, send_mail

logger = logging.getLogger(__name__)
FINISHED = [Run.Status.SUCCEEDED, Run.Status.FAILED, Run.Status.SKIPPED]


@transaction.atomic
def retry_runs(runs: QuerySet[Run]) -> int:
    """Schedule failed or skipped runs again, now, as if new (attempts start over)."""
    ids = list(runs.filter(status__in=[Run.Status.FAILED, Run.Status.SKIPPED]).values_list("pk", flat=True))
    Run.objects.filter(pk__in=ids).update(
        status=Run.Status.SCHEDULED,
        due_at=timezone.now(),
        attempts=0,
        error="",
        output={},
        claim_token=None,
        lease_expires_at=None,
        finished_at=None,
        alerted_at=None,
    )
    _start_on_commit(ids)
    return len(ids)


@transaction.atomic
def replay_runs(runs: QuerySet[Run]) -> list[Run]:
    """A new run for each finished run, with the same automation, event, target and stored
    input; the original stays as it was."""
    replays = []
    for run in runs.filter(status__in=FINISHED).annotate(replay_count=Count("replays")):
        replays.append(
            Run(
                organization_id=run.organization_id,
                automation_id=run.automation_id,
                event_id=run.event_id,
                contact_id=run.contact_id,
                user_id=run.user_id,
                target_key=f"{run.target_key}#replay{run.replay_count + 1}"[:40],
                due_at=timezone.now(),
                input=run.input,
                replay_of=run,
            )
        )
    Run.objects.bulk_create(replays)
    created = list(Run.objects.filter(replay_of__in=[r.replay_of_id for r in replays], status=Run.Status.SCHEDULED))
    _start_on_commit([r.pk for r in created])
    return created


def _start_on_commit(ids: list[int]) -> None:
    from automations.services import start_runs

    if ids:
        transaction.on_commit(lambda: start_runs(ids))


def purge_old_runs(now=None) -> tuple[int, int]:
    """Delete finished runs older than ENGAGE_RUN_RETENTION_DAYS, then events of that age
    that no run refers to any more. Returns (runs, events) deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.ENGAGE_RUN_RETENTION_DAYS)
    runs, _ = Run.objects.filter(status__in=FINISHED, finished_at__lt=cutoff).delete()
    events, _ = Event.objects.filter(created_at__lt=cutoff, runs__isnull=True).delete()
    return runs, events


def send_failure_digests() -> int:
    """One mail per organization to its admins, listing the runs that failed since the last
    digest. Returns the number of mails sent."""
    pending = (
        Run.objects.filter(status=Run.Status.FAILED, alerted_at__isnull=True)
        .select_related("automation", "contact", "user")
        .order_by("organization_id", "finished_at")
    )
    by_organization: dict[int, list[Run]] = defaultdict(list)
    for run in pending[:5000]:
        by_organization[run.organization_id].append(run)
    sent = 0
    for organization_id, runs in by_organization.items():
        organization = Organization.objects.get(pk=organization_id)
        admins = User.objects.filter(organization=organization, role=User.Role.ADMIN, is_active=True).exclude(email="")
        for admin in admins:
            mail = render_mail(
                "failure_digest",
                {"organization": organization, "runs": runs, "user": admin, "base_url": settings.BASE_URL},
            )
            try:
                send_mail(organization=organization, to=admin.email, mail=mail)
                sent += 1
            except Exception:  # one unreachable admin must not keep the others uninformed
                logger.exception("Failure digest to %s could not be sent", admin.pk)
        Run.objects.filter(pk__in=[run.pk for run in runs]).update(alerted_at=timezone.now())
    return sent
