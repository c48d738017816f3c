from django.db import models
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact, Organization, OrganizationQuerySet


class OutboundMessage(models.Model):
    """One mail Engage sent or tried to send: the outbox and its history."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    run = models.ForeignKey(
        "automations.Run",
        verbose_name=_("run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    from_email = models.CharField(_("from"), max_length=320)
    recipient = models.CharField(_("recipient"), max_length=320)
    subject = models.CharField(_("subject"), max_length=400)
    text_body = models.TextField(_("text body"), blank=True)
    html_body = models.TextField(_("HTML body"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=255, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    # Values the mail must carry but the outbox must not keep readable (a new password):
    # encrypted JSON list, filled into the bodies when sending, then deleted.
    secret_values = models.TextField(blank=True, editable=False)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        indexes = [
            models.Index(fields=["organization", "status"]),
            # The sender's question: what is queued and due, or stuck in a dead sender.
            models.Index(fields=["status", "next_attempt_at"], name="message_status_due"),
            models.Index(fields=["claim_token"], name="message_claim_token"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"
