from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from automations.conditions import Condition, parse_conditions
from automations.jobs import get_job, job_choices
from contacts.models import Contact, Organization, OrganizationQuerySet
from engage import ports
from engage.events import EventType, Scope, scope_label, scopes_of


class Event(models.Model):
    """Something that happened to a contact or in the system. Automations react to it."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    type = models.CharField(_("type"), max_length=64, choices=EventType.choices, db_index=True)
    scope = models.CharField(_("scope"), max_length=1, choices=Scope.choices)
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("system user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    name = models.CharField(_("name"), max_length=100, blank=True, help_text=_("For custom API events."))
    # How many "automation finished" events led to this one (the loop guard counts them).
    chain_depth = models.PositiveSmallIntegerField(_("chain depth"), default=0)
    source = models.CharField(_("source"), max_length=64, default="engage")
    # NULL, not "": events without an external id never collide in the unique constraint.
    external_id = models.CharField(_("external id"), max_length=255, null=True, blank=True)  # noqa: DJ001
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            # A redelivered event (same source and external id) is recorded once.
            models.UniqueConstraint(
                fields=["organization", "source", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="event_external_id_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} #{self.pk}"


class Holiday(models.Model):
    """A public holiday of an organization, for automations that avoid (or keep to) them."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [models.UniqueConstraint(fields=["organization", "date"], name="holiday_unique_per_day")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


SALESFORCE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")
SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Unknown time zone “%(zone)s”, e.g. Europe/Zurich.") % {"zone": value}) from exc


def subject_of(scopes: frozenset[str]) -> str:
    """Whom events or jobs of these scopes concern, in the marketer's words."""
    if scopes == {Scope.CONTACT}:
        return str(_("a contact"))
    if scopes == {Scope.SYSTEM}:
        return str(_("a system user"))
    return str(_("a contact or a system user"))


class Automation(models.Model):
    """When `event_type` happens, wait for the delay, then run the job on the target."""

    class Holidays(models.TextChoices):
        ALWAYS = "always", _("Run on holidays too")
        NEVER = "never", _("Never run on holidays (move to the next day)")
        ONLY = "only", _("Run only on holidays")

    WEEKDAYS = [(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
                (5, _("Saturday")), (6, _("Sunday"))]  # fmt: skip
    MAX_TIME_FRAME = timedelta(days=5 * 366)

    class Target(models.TextChoices):
        EVENT = "event", _("Use event parameter (the contact or user of the event)")
        NAMED = "named", _("A named contact or system user")

    class DelayUnit(models.TextChoices):
        NONE = "", _("No delay")
        MINUTES = "minutes", _("minutes")
        HOURS = "hours", _("hours")
        DAYS = "days", _("days")
        WEEKS = "weeks", _("weeks")

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    event_type = models.CharField(_("event"), max_length=64, choices=EventType.choices)
    event_name = models.CharField(
        _("custom event name"),
        max_length=100,
        blank=True,
        help_text=_("For custom API events: the name the integrator sends."),
    )
    after_automation = models.ForeignKey(
        "self",
        verbose_name=_("finished automation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("For “Automation finished”: react only when this automation finished (empty: any)."),
    )
    # A Salesforce workflow is bound to one object type, optionally to one outbound message.
    salesforce_object = models.CharField(
        _("Salesforce object"),
        max_length=100,
        blank=True,
        help_text=_(
            "For “Salesforce outbound message received”: only notifications about this object, e.g. Case, "
            "Contact, Lead or Invoice__c (empty: every object)."
        ),
    )
    salesforce_action_id = models.CharField(
        _("Salesforce outbound message ID"),
        max_length=18,
        blank=True,
        help_text=_(
            "Optional: only notifications of this outbound message (its ID in Salesforce, Setup → Outbound "
            "Messages, 15 or 18 characters)."
        ),
    )
    # The id of an integrations.SalesforceConnection. Not a foreign key: the integrations
    # sit above the automations, which learn of connections through engage.ports. A
    # deleted connection sends nothing more, so the automation then starts no runs.
    salesforce_connection_id = models.PositiveIntegerField(
        _("Salesforce connection"),
        null=True,
        blank=True,
        help_text=_("Optional: only notifications that arrive through this connection (empty: any connection)."),
    )
    salesforce_conditions = models.JSONField(
        _("conditions on the record"),
        default=list,
        blank=True,
        help_text=_(
            "Optional: the job runs only if the Salesforce record meets every condition, e.g. Status equals "
            "Closed. Checked when the job runs (after the delay) against the record's latest data."
        ),
    )
    job_type = models.CharField(_("job"), max_length=64, choices=job_choices)
    job_params = models.JSONField(_("job parameters"), default=dict, blank=True)
    target = models.CharField(_("target"), max_length=10, choices=Target.choices, default=Target.EVENT)
    target_contact = models.ForeignKey(
        Contact, verbose_name=_("named contact"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("named system user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    selection = models.ForeignKey(
        "contacts.Selection",
        verbose_name=_("only if the contact matches"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Checked when the job runs (after the delay), not when the event happens."),
    )
    delay_unit = models.CharField(_("delay unit"), max_length=10, choices=DelayUnit.choices, blank=True, default="")
    delay_value = models.PositiveIntegerField(_("delay"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    starts_on = models.DateField(_("start date"), null=True, blank=True, help_text=_("Events before it start nothing."))
    ends_on = models.DateField(
        _("end date"),
        null=True,
        blank=True,
        help_text=_("At most 5 years after the start; runs due later are skipped."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=settings.TIME_ZONE, validators=[validate_time_zone]
    )
    execution_days = models.JSONField(
        _("execution days"),
        default=list,
        blank=True,
        help_text=_("Weekdays on which the job may run (0 = Monday … 6 = Sunday); empty: every day."),
    )
    holidays = models.CharField(_("holidays"), max_length=10, choices=Holidays.choices, default=Holidays.ALWAYS)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("automation")
        verbose_name_plural = _("automations")
        indexes = [models.Index(fields=["organization", "event_type", "is_active"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # A target that is not used is not kept, so that it never acts by surprise later.
        if self.target == self.Target.EVENT:
            self.target_contact = None
            self.target_user = None
        else:
            if Scope.SYSTEM not in self.scopes:
                self.target_user = None
            if Scope.CONTACT not in self.scopes:
                self.target_contact = None
        if not self.delay_unit:
            self.delay_value = None
        if self.event_type != EventType.CUSTOM:
            self.event_name = ""
        if self.event_type != EventType.AUTOMATION_FINISHED:
            self.after_automation = None
        if self.event_type != EventType.SALESFORCE_MESSAGE:
            self.salesforce_object = self.salesforce_action_id = ""
            self.salesforce_connection_id, self.salesforce_conditions = None, []
        super().save(*args, **kwargs)

    def listens_to_salesforce(self, payload: dict) -> bool:
        """Whether a Salesforce notification (an event's payload) came through the connection
        and is of the object type and outbound message this automation is bound to. Object
        names compare in any letter case; IDs by their first 15 characters (the 18-character
        form adds a checksum)."""
        object_type, action_id = str(payload.get("object_type") or ""), str(payload.get("action_id") or "")
        if self.salesforce_connection_id is not None and payload.get("connection_id") != self.salesforce_connection_id:
            return False
        if self.salesforce_object and self.salesforce_object.lower() != object_type.lower():
            return False
        return not self.salesforce_action_id or self.salesforce_action_id[:15] == action_id[:15]

    @property
    def conditions(self) -> list[Condition]:
        return [Condition(**row) for row in self.salesforce_conditions or []]

    @property
    def job(self):
        return get_job(self.job_type)

    @property
    def scopes(self) -> frozenset[str]:
        """The scopes of the events this automation acts on: those its event has and its
        job accepts (one of them, or both for a manual event with an S/K job)."""
        job = self.job
        return job.scopes & scopes_of(self.event_type) if job else frozenset()

    UNIT_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}
    MAX_DELAY = timedelta(days=5 * 366)

    @property
    def delay(self) -> timedelta:
        if not self.delay_unit or not self.delay_value:
            return timedelta(0)
        return timedelta(**{self.delay_unit: self.delay_value})

    def delay_too_long(self) -> bool:
        seconds = (self.delay_value or 0) * self.UNIT_SECONDS.get(self.delay_unit, 0)
        return seconds > self.MAX_DELAY.total_seconds()

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        job = self.job
        if self.job_type and job is None:
            errors.setdefault("job_type", []).append(_("Unknown job."))
        if job is not None and self.event_type:
            event_scopes = scopes_of(self.event_type)
            if not job.scopes & event_scopes:
                errors.setdefault("job_type", []).append(
                    _(
                        "“%(job)s” cannot follow “%(event)s”: the event happens to %(event_subject)s "
                        "(%(event_scope)s), the job acts on %(job_subject)s (%(job_scope)s). "
                        "Choose a job for %(event_subject)s."
                    )
                    % {
                        "event": EventType(self.event_type).label,
                        "event_scope": scope_label(event_scopes),
                        "event_subject": subject_of(event_scopes),
                        "job": job.label,
                        "job_scope": job.scope_label(),
                        "job_subject": subject_of(job.scopes),
                    }
                )
        if job is not None:
            params = job.params_form(data=self.job_params or {}, organization=self.organization)
            if params.is_valid():
                self.job_params = params.to_json()
            else:
                errors.setdefault("job_params", []).extend(
                    f"{params.fields[name].label if name in params.fields else name}: {' '.join(messages)}"
                    for name, messages in params.errors.items()
                )
        if self.event_type == EventType.CUSTOM and not self.event_name:
            errors.setdefault("event_name", []).append(_("Enter the name of the custom event."))
        if self.salesforce_object and not SALESFORCE_NAME.match(self.salesforce_object):
            errors.setdefault("salesforce_object", []).append(
                _("Enter the API name of a Salesforce object: letters, digits and _, e.g. Case or Invoice__c.")
            )
        if self.salesforce_action_id and not SALESFORCE_ID.match(self.salesforce_action_id):
            errors.setdefault("salesforce_action_id", []).append(
                _("A Salesforce ID has 15 or 18 letters and digits, e.g. 04k7Q000000Cb8dQAC.")
            )
        try:
            self.salesforce_conditions = [c.to_json() for c in parse_conditions(self.salesforce_conditions)]
        except ValidationError as exc:
            errors.setdefault("salesforce_conditions", []).extend(exc.messages)
        if self.salesforce_connection_id is not None and self.salesforce_connection_id not in dict(
            ports.salesforce_choices(organization_id=self.organization_id).connections
        ):
            errors.setdefault("salesforce_connection_id", []).append(
                _("Choose a Salesforce connection of this organization.")
            )
        if self.after_automation_id is not None and self.after_automation.organization_id != self.organization_id:
            errors.setdefault("after_automation", []).append(_("Choose an automation of this organization."))
        if self.starts_on and self.ends_on:
            if self.ends_on < self.starts_on:
                errors.setdefault("ends_on", []).append(_("The end date is before the start date."))
            elif self.ends_on - self.starts_on > self.MAX_TIME_FRAME:
                errors.setdefault("ends_on", []).append(_("The end date may be at most 5 years after the start date."))
        if not isinstance(self.execution_days, list) or any(
            not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6 for day in self.execution_days
        ):
            errors.setdefault("execution_days", []).append(_("List weekdays as numbers, 0 = Monday … 6 = Sunday."))
        if self.delay_unit and self.delay_value and self.delay_too_long():
            errors.setdefault("delay_value", []).append(_("A delay can be at most 5 years."))
        if self.delay_unit and self.delay_value is None:  # 0 is allowed: no wait
            errors.setdefault("delay_value", []).append(
                _("Enter how many %(unit)s to wait (0 for none).") % {"unit": self.get_delay_unit_display()}
            )
        if self.delay_value and not self.delay_unit:
            errors.setdefault("delay_unit", []).append(_("Choose a unit for the delay."))
        if self.selection_id is not None and job is not None:
            if Scope.CONTACT not in self.scopes:
                errors.setdefault("selection", []).append(_("Selections choose contacts: use them with contact jobs."))
            elif self.selection.organization_id != self.organization_id:
                errors.setdefault("selection", []).append(_("Choose a selection of this organization."))
        if self.target == self.Target.NAMED and job is not None:
            if Scope.CONTACT in self.scopes:
                if self.target_contact_id is None:
                    errors.setdefault("target_contact", []).append(_("Choose the contact this job acts on."))
                elif self.target_contact.organization_id != self.organization_id:
                    errors.setdefault("target_contact", []).append(_("Choose a contact of this organization."))
            if Scope.SYSTEM in self.scopes:
                if self.target_user_id is None:
                    errors.setdefault("target_user", []).append(_("Choose the system user this job acts on."))
                elif self.target_user.organization_id != self.organization_id:
                    errors.setdefault("target_user", []).append(_("Choose a system user of this organization."))
        if errors:
            raise ValidationError(errors)


class Run(models.Model):
    """One execution of an automation's job for one event and one target."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("skipped")

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    automation = models.ForeignKey(
        Automation, verbose_name=_("automation"), on_delete=models.CASCADE, related_name="runs"
    )
    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="runs")
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("system user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
    )
    # "contact:<id>", "user:<id>" or "none": one run per automation × event × target.
    target_key = models.CharField(max_length=40)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    due_at = models.DateTimeField(_("due at"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)
    # The process that started on it (engage.lib.processes.identity); empty while it waits
    # for a worker. A dead holder's claims are given back at once (engage.recovery).
    holder = models.CharField(max_length=140, blank=True, default="", editable=False)
    input = models.JSONField(_("input payload"), default=dict, blank=True)
    output = models.JSONField(_("output"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    replay_of = models.ForeignKey(
        "self", verbose_name=_("replay of"), null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )
    # When the organization's admins were told that this run failed (the failure digest).
    alerted_at = models.DateTimeField(_("admins alerted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("run")
        verbose_name_plural = _("runs")
        constraints = [
            models.UniqueConstraint(fields=["automation", "event", "target_key"], name="run_once_per_target"),
        ]
        indexes = [
            # The dispatcher's two questions: what is due, and whose lease ran out.
            models.Index(fields=["status", "due_at"], name="run_status_due"),
            models.Index(fields=["status", "lease_expires_at"], name="run_status_lease"),
            models.Index(fields=["claim_token"], name="run_claim_token"),
            # The dashboard's runs by status and failing automations (ops/dashboard.py).
            models.Index(fields=["organization", "created_at", "status"], name="run_org_created"),
        ]

    def __str__(self) -> str:
        return f"{self.automation} · {self.get_status_display()} #{self.pk}"

    @classmethod
    def claimable_q(cls, now) -> models.Q:
        """Runs that are due and free: scheduled, or running under a lease that ran out
        (their worker died)."""
        return models.Q(status=cls.Status.SCHEDULED, due_at__lte=now) | models.Q(
            status=cls.Status.RUNNING, lease_expires_at__lt=now
        )

    @property
    def target_label(self) -> str:
        return str(self.contact or self.user or "—")

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED, self.Status.SKIPPED}
