"""An organization's ActiveCampaign account, what Engage keeps in sync with it, and the
state of each contact's and each activity's sync."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact, Group, Organization, OrganizationQuerySet, Selection
from engage import crypto
from integrations.common.models import new_token


class ActiveCampaignConnection(models.Model):
    """An organization's ActiveCampaign account: its address pool kept in sync, automations
    started for planning types, and its webhooks sent to Engage."""

    organization = models.OneToOneField(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="activecampaign"
    )
    api_url = models.URLField(_("API URL"), help_text=_("Your account's API address, e.g. https://example.api-us1.com"))
    api_key_encrypted = crypto.EncryptedTextField(editable=False)
    webhook_token = models.CharField(
        _("webhook URL token"), max_length=64, unique=True, default=new_token, editable=False
    )
    is_active = models.BooleanField(_("active"), default=True)
    sync_enabled = models.BooleanField(
        _("keep the address pool in sync"), default=False, help_text=_("Push every change of a pooled contact.")
    )
    pool = models.ForeignKey(
        Selection,
        verbose_name=_("address pool"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The contacts kept in sync. Empty: all contacts."),
    )
    # What the account holds, read from its API so that marketers pick by name:
    # {"automations": {id: name}, "lists": {id: name}, "fields": {id: name}}.
    catalogue = models.JSONField(_("automations, lists and fields"), default=dict, editable=False)
    catalogue_read_at = models.DateTimeField(_("read from ActiveCampaign at"), null=True, editable=False)
    tag_ids = models.JSONField(default=dict, editable=False)  # lower-case tag name → id
    account_ids = models.JSONField(default=dict, editable=False)  # lower-case company name → account id
    webhook_ids = models.JSONField(default=list, editable=False)  # the webhooks registered there
    worker_until = models.DateTimeField(null=True, editable=False)  # lease of the one sync worker
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("ActiveCampaign connection")
        verbose_name_plural = _("ActiveCampaign connections")

    def __str__(self) -> str:
        return self.api_url

    def names(self, kind: str) -> dict[str, str]:
        """The account's automations, lists or fields as read last: id → name."""
        return dict((self.catalogue or {}).get(kind) or {})


class FieldMapping(models.Model):
    """An Engage field or attribute written to an ActiveCampaign custom field."""

    connection = models.ForeignKey(ActiveCampaignConnection, on_delete=models.CASCADE, related_name="field_mappings")
    engage_field = models.CharField(
        _("Engage field"), max_length=120, help_text=_("A standard field, or attributes.<key> for an attribute.")
    )
    remote_field = models.CharField(_("ActiveCampaign field"), max_length=20)

    class Meta:
        verbose_name = _("field mapping")
        verbose_name_plural = _("field mappings")
        constraints = [models.UniqueConstraint(fields=["connection", "engage_field"], name="ac_field_once")]

    def __str__(self) -> str:
        return f"{self.engage_field} → {self.remote_field}"


class ListMapping(models.Model):
    """An Engage group mirrored as an ActiveCampaign list: receiving = active (1),
    otherwise unsubscribed (2)."""

    connection = models.ForeignKey(ActiveCampaignConnection, on_delete=models.CASCADE, related_name="list_mappings")
    group = models.ForeignKey(Group, verbose_name=_("group"), on_delete=models.CASCADE, related_name="+")
    remote_list = models.CharField(_("ActiveCampaign list"), max_length=20)

    class Meta:
        verbose_name = _("list mapping")
        verbose_name_plural = _("list mappings")
        constraints = [
            models.UniqueConstraint(fields=["connection", "group"], name="ac_group_once"),
            models.UniqueConstraint(fields=["connection", "remote_list"], name="ac_list_once"),
        ]

    def __str__(self) -> str:
        return f"{self.group} → {self.remote_list}"


class RateBucket(models.Model):
    """The request budget of one ActiveCampaign account (5 requests a second), shared by
    every process on every machine: a row locked while a token is taken."""

    account = models.CharField(max_length=255, unique=True)  # the API host
    tokens = models.FloatField(default=0.0)
    updated_at = models.DateTimeField()
    blocked_until = models.DateTimeField(null=True)  # a 429's Retry-After

    def __str__(self) -> str:
        return self.account


class SyncState(models.TextChoices):
    PENDING = "pending", _("pending")
    SYNCING = "syncing", _("syncing")
    SYNCED = "synced", _("synced")
    FAILED = "failed", _("failed")


class Resync(models.Model):
    """A full resync of the pool, started in the admin; its items are the contacts'
    sync rows that point at it."""

    connection = models.ForeignKey(ActiveCampaignConnection, on_delete=models.CASCADE, related_name="resyncs")
    total = models.PositiveIntegerField(_("contacts"), default=0)
    started_by = models.CharField(_("started by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)

    class Meta:
        verbose_name = _("full resync")
        verbose_name_plural = _("full resyncs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.connection} {self.created_at:%Y-%m-%d %H:%M}"


class ContactSync(models.Model):
    """One contact's state in ActiveCampaign: due to be pushed, pushed (with its id there),
    or failed (with ActiveCampaign's message). Changes that arrive while it is pending are
    coalesced into one push; `version` counts them so that a change made during a push is
    pushed again afterwards."""

    class Priority(models.IntegerChoices):
        CHANGE = 0, _("change")
        RESYNC = 1, _("full resync")

    Status = SyncState

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    contact = models.OneToOneField(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="activecampaign_sync"
    )
    status = models.CharField(_("status"), max_length=10, choices=SyncState.choices, default=SyncState.PENDING)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.CHANGE)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("ActiveCampaign's message"), blank=True)
    remote_id = models.CharField(_("ActiveCampaign contact"), max_length=20, blank=True)
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)
    sent_hash = models.CharField(max_length=64, blank=True)  # of the last contact/sync body accepted
    remote_tags = models.JSONField(default=dict)  # tag name → contactTag id
    remote_lists = models.JSONField(default=dict)  # list id → status ("1" active, "2" unsubscribed)
    remote_account = models.CharField(max_length=200, blank=True)  # the company it is linked to there
    resync = models.ForeignKey(Resync, null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    claim_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("ActiveCampaign contact sync")
        verbose_name_plural = _("ActiveCampaign contact syncs")
        indexes = [models.Index(fields=["organization", "status", "priority", "due_at"], name="ac_sync_due")]

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.get_status_display()}"


class PlanningType(models.Model):
    """A kind of contact activity (a consultation, a quote) that starts an ActiveCampaign
    automation for the contact."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100)
    automation = models.CharField(_("ActiveCampaign automation"), max_length=20)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact-planning type")
        verbose_name_plural = _("contact-planning types")
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="ac_planning_type_name")]

    def __str__(self) -> str:
        return self.name


class Activity(models.Model):
    """An activity of a planning type recorded for a contact: starts the type's automation
    once the contact is synced."""

    Status = SyncState

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="+")
    planning_type = models.ForeignKey(PlanningType, verbose_name=_("planning type"), on_delete=models.PROTECT)
    status = models.CharField(_("status"), max_length=10, choices=SyncState.choices, default=SyncState.PENDING)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("ActiveCampaign's message"), blank=True)
    remote_id = models.CharField(_("ActiveCampaign contact automation"), max_length=20, blank=True)
    source = models.CharField(_("source"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    synced_at = models.DateTimeField(_("started at"), null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [models.Index(fields=["organization", "status", "due_at"], name="ac_activity_due")]

    def __str__(self) -> str:
        return f"{self.planning_type} ({self.contact_id})"
