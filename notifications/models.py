import uuid

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
        SUPPRESSED = "suppressed", _("suppressed")
        # What the provider or the recipient did after the mail was sent (see TRACKING_ORDER).
        DELIVERED = "delivered", _("delivered")
        OPENED = "opened", _("opened")
        CLICKED = "clicked", _("clicked")
        BOUNCED = "bounced", _("bounced")
        COMPLAINED = "complained", _("complained")

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
    conversation = models.ForeignKey(
        "notifications.Conversation",
        verbose_name=_("conversation"),
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
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
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


# A sent mail's status only moves forward along this order, whatever order the provider's
# events arrive in: a late "delivered" never hides an "opened". Bounces and complaints rank
# last because they decide what happens to the address (suppression); a complaint comes
# from somebody who received the mail, so it outranks a bounce.
TRACKING_ORDER = [
    OutboundMessage.Status.SENT,
    OutboundMessage.Status.DELIVERED,
    OutboundMessage.Status.OPENED,
    OutboundMessage.Status.CLICKED,
    OutboundMessage.Status.BOUNCED,
    OutboundMessage.Status.COMPLAINED,
]


class Suppression(models.Model):
    """An address the organization must not send to any more."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", _("hard bounce")
        COMPLAINT = "complaint", _("spam complaint")
        UNSUBSCRIBE = "unsubscribe", _("unsubscribed")
        MANUAL = "manual", _("added manually")

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    address = models.EmailField(_("address"), max_length=320, help_text=_("Stored in lower case."))
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices, default=Reason.MANUAL)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppression list")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "address"],
                name="one_suppression_per_address",
                violation_error_message=_("This address is on the suppression list already."),
            )
        ]

    def __str__(self) -> str:
        return self.address

    def save(self, *args, **kwargs) -> None:
        self.address = self.address.strip().lower()
        super().save(*args, **kwargs)


class Conversation(models.Model):
    """Mails sent and replies received about one matter, with one contact."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    subject = models.CharField(_("subject"), max_length=400)
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_message_at = models.DateTimeField(_("last message at"))

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["-last_message_at", "-id"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")

    def __str__(self) -> str:
        return self.subject


class TrackingEvent(models.Model):
    """One thing a provider (or Engage's own pixel and redirects) reported about a sent
    mail, kept once per (esp, event_id) with the raw payload."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    message = models.ForeignKey(
        OutboundMessage, verbose_name=_("message"), on_delete=models.CASCADE, related_name="tracking_events"
    )
    esp = models.CharField(_("reported by"), max_length=30)
    event_id = models.CharField(_("event id"), max_length=255)
    event_type = models.CharField(_("event"), max_length=30)
    url = models.TextField(_("URL"), blank=True)
    description = models.TextField(_("description"), blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    raw = models.JSONField(_("raw payload"), default=dict, blank=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        constraints = [models.UniqueConstraint(fields=["esp", "event_id"], name="one_tracking_event_per_id")]

    def __str__(self) -> str:
        return f"{self.event_type} ({self.esp})"


class InboundMessage(models.Model):
    """A reply received for a mail Engage sent."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    conversation = models.ForeignKey(
        Conversation,
        verbose_name=_("conversation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
        help_text=_("Empty: the reply came more than 30 days after the conversation's last message."),
    )
    in_reply_to = models.ForeignKey(
        OutboundMessage,
        verbose_name=_("reply to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    esp = models.CharField(_("received through"), max_length=30)
    message_id = models.CharField(_("Message-ID"), max_length=255)
    from_email = models.CharField(_("from"), max_length=320)
    subject = models.CharField(_("subject"), max_length=400, blank=True)
    text = models.TextField(_("text"), blank=True)
    html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("headers"), default=list, blank=True)
    received_at = models.DateTimeField(_("received at"))

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        constraints = [
            models.UniqueConstraint(fields=["organization", "message_id"], name="one_inbound_per_message_id")
        ]

    def __str__(self) -> str:
        return f"{self.subject} ← {self.from_email}"


class MailSettings(models.Model):
    """How mail leaves: host-level settings (no organization) apply to every organization
    that has not set its own; an organization's own settings override them until it
    switches back to "use host settings"."""

    class Transport(models.TextChoices):
        SMTP = "smtp", _("SMTP server")
        ESP = "esp", _("E-mail service provider (API)")

    class Security(models.TextChoices):
        NONE = "none", _("none")
        STARTTLS = "starttls", _("STARTTLS")
        TLS = "tls", _("implicit TLS (SMTPS)")

    class Esp(models.TextChoices):
        BREVO = "brevo", "Brevo"
        MAILGUN = "mailgun", "Mailgun"
        MAILJET = "mailjet", "Mailjet"
        POSTMARK = "postmark", "Postmark"
        RESEND = "resend", "Resend"
        SENDGRID = "sendgrid", "SendGrid"
        SPARKPOST = "sparkpost", "SparkPost"

    organization = models.OneToOneField(
        Organization,
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="mail_settings",
        help_text=_("Empty: the host-level settings every organization inherits."),
    )
    use_host_settings = models.BooleanField(
        _("use host settings"), default=False, help_text=_("Ignore the settings below and send like the host.")
    )
    transport = models.CharField(_("send through"), max_length=10, choices=Transport.choices, default=Transport.SMTP)
    smtp_host = models.CharField(_("SMTP host"), max_length=253, blank=True)
    smtp_domain = models.CharField(
        _("SMTP domain"),
        max_length=253,
        blank=True,
        help_text=_("Appended to the user name (user@domain) if it has none."),
    )
    smtp_port = models.PositiveIntegerField(_("port"), default=587)
    smtp_username = models.CharField(_("user name"), max_length=254, blank=True)
    smtp_password = models.TextField(_("password"), blank=True, editable=False)  # encrypted
    security = models.CharField(
        _("secure connection"), max_length=10, choices=Security.choices, default=Security.STARTTLS
    )
    timeout = models.PositiveIntegerField(_("timeout (seconds)"), default=30)
    esp = models.CharField(_("provider"), max_length=20, choices=Esp.choices, blank=True)
    esp_credentials = models.TextField(_("provider credentials"), blank=True, editable=False)  # encrypted JSON
    from_email = models.EmailField(_("default from address"), blank=True)
    from_name = models.CharField(_("default from display name"), max_length=64, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("mail settings")
        verbose_name_plural = _("mail settings")
        constraints = [
            models.UniqueConstraint(
                fields=["use_host_settings"],
                condition=models.Q(organization__isnull=True),
                name="one_host_mail_settings",
                violation_error_message=_("There are host-level mail settings already."),
            )
        ]

    def __str__(self) -> str:
        return str(self.organization or _("Host settings"))

    def save(self, *args, **kwargs) -> None:
        if self.organization_id is None:
            self.use_host_settings = False  # the host has nothing to inherit from
        super().save(*args, **kwargs)


class PreparedMessage(models.Model):
    """A mail written once in the admin, sent by automations, with one variant per language.
    Subject, preheader and bodies may hold dynamic text (contact fields, attributes, the
    latest transactions, the event's data)."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100)
    is_marketing = models.BooleanField(
        _("marketing mail"),
        default=True,
        help_text=_("Marketing mail carries an unsubscribe link and List-Unsubscribe headers."),
    )
    from_email = models.EmailField(_("from address"), blank=True, help_text=_("Empty: the mail settings' default."))
    from_name = models.CharField(_("from display name"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("prepared message")
        verbose_name_plural = _("prepared messages")

    def __str__(self) -> str:
        return self.name


class PreparedMessageVariant(models.Model):
    message = models.ForeignKey(PreparedMessage, on_delete=models.CASCADE, related_name="variants")
    language = models.CharField(_("language"), max_length=8, choices=Contact.Language.choices)
    subject = models.CharField(_("subject"), max_length=400)
    preheader = models.CharField(_("preheader"), max_length=200, blank=True)
    html_body = models.TextField(_("HTML body"), blank=True)
    text_body = models.TextField(_("text body"), blank=True, help_text=_("Empty: made from the HTML body."))

    class Meta:
        ordering = ["language"]
        verbose_name = _("language variant")
        verbose_name_plural = _("language variants")
        constraints = [models.UniqueConstraint(fields=["message", "language"], name="one_variant_per_language")]

    def __str__(self) -> str:
        return f"{self.message} ({self.language})"


class SendQuota(models.Model):
    """A token bucket per organization, in the database so that every worker process on
    every machine draws from the same one: `mails_per_minute` tokens at most, refilled
    continuously."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="send_quota")
    mails_per_minute = models.PositiveIntegerField(_("mails per minute"), default=600)
    tokens = models.FloatField(default=600.0)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("sending rate limit")
        verbose_name_plural = _("sending rate limits")

    def __str__(self) -> str:
        return f"{self.organization}: {self.mails_per_minute}/min"
