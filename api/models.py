"""Credentials of the integration API and the records that make its POSTs idempotent.

No secret is stored readable: an API key, an OAuth client secret and an access token are
each kept as a public prefix (to find the row) and an HMAC-SHA-256 of the whole value.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.models import Organization, OrganizationQuerySet


class Scope(models.TextChoices):
    READ = "read", _("read")
    WRITE = "write", _("read and write")


AGENTLESS_EMAIL = "conversation:agentlessEmail:send"  # Genesys' name of the permission


def agentless_email_field() -> models.BooleanField:
    return models.BooleanField(
        _("agentless e-mail"),
        default=False,
        help_text=_(
            "May send agentless e-mail (POST /api/v1/conversations/emails/agentless; in Genesys: "
            "conversation:agentlessEmail:send), whatever the scope."
        ),
    )


class ApiKey(models.Model):
    """An organization's key for the REST API, sent as `Authorization: Bearer <key>`."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100, help_text=_("What uses this key, e.g. “Shop”."))
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.READ)
    agentless_email = agentless_email_field()
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class OAuthClient(models.Model):
    """An OAuth 2 client (client-credentials grant) of an organization."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.READ)
    agentless_email = agentless_email_field()
    client_id = models.CharField(_("client id"), max_length=40, unique=True, editable=False)
    hashed_secret = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("OAuth client")
        verbose_name_plural = _("OAuth clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class AccessToken(models.Model):
    """A short-lived bearer token issued to an OAuth client; it has its client's scope."""

    client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE, related_name="tokens")
    prefix = models.CharField(max_length=16, unique=True)
    hashed_token = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.prefix}… of {self.client}"


class IdempotencyRecord(models.Model):
    """One `Idempotency-Key` of an organization: claimed by the first request (a unique
    insert), finished in the same transaction as that request's work, replayed after."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of method, path and body
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    claim_token = models.UUIDField(null=True)
    lease_expires_at = models.DateTimeField(null=True)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="idempotency_key_unique")]

    def __str__(self) -> str:
        return self.key


class RateCount(models.Model):
    """Requests (or mails) counted in one minute for one key, when no Redis is configured:
    one row per (key, window), raised by a single UPDATE … SET count = count + 1, which the
    database applies atomically, so that concurrent requests lose no increment."""

    key = models.CharField(max_length=100)
    window = models.BigIntegerField()  # Unix minutes
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="rate_count_unique")]
        indexes = [models.Index(fields=["window"], name="rate_count_window")]

    def __str__(self) -> str:
        return f"{self.key}@{self.window}: {self.count}"


class RequestCount(models.Model):
    """API requests answered with one HTTP status, by every process since the table was
    made (for /metrics). Each process counts in memory and adds what it counted every few
    seconds (api.requestcount), so a request costs no write of its own."""

    status = models.PositiveSmallIntegerField(primary_key=True)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.status}: {self.count}"
