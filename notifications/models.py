import base64
import secrets
import uuid
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.validators import DomainNameValidator, MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact, Organization, OrganizationQuerySet
from engage import crypto


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
    secret_values = crypto.EncryptedTextField(blank=True, editable=False)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The process that started on it (engage.lib.processes.identity); empty while it waits
    # for a worker. A dead holder's claims are given back at once (engage.recovery).
    holder = models.CharField(max_length=140, blank=True, default="", editable=False)
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
            # The dashboard's mails per day and status (ops/dashboard.py), from the index alone.
            models.Index(fields=["organization", "created_at", "status"], name="message_org_created"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"

    @property
    def gives_up_at(self) -> datetime | None:
        """Until when a mail the server did not take for now is retried (see
        ENGAGE_MAIL_RETRY_HOURS); after that it fails. Counted from when it was queued."""
        if self.created_at is None:
            return None
        return self.created_at + timedelta(hours=settings.ENGAGE_MAIL_RETRY_HOURS)


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


class Conversation(models.Model):
    """Mails sent and replies received about one matter, with one contact. `created_at` is
    the time of its original mail, from which its 30 days run (notifications.conversations)."""

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
    smtp_port = models.PositiveIntegerField(
        _("port"), default=587, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    smtp_username = models.CharField(_("user name"), max_length=254, blank=True)
    smtp_password = crypto.EncryptedTextField(_("password"), blank=True, editable=False)
    security = models.CharField(
        _("secure connection"), max_length=10, choices=Security.choices, default=Security.STARTTLS
    )
    timeout = models.PositiveIntegerField(_("timeout (seconds)"), default=30)
    esp = models.CharField(_("provider"), max_length=20, choices=Esp.choices, blank=True)
    esp_credentials = crypto.EncryptedTextField(_("provider credentials"), blank=True, editable=False)  # JSON
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
    """Two token buckets per organization, in the database so that every worker process on
    every machine draws from the same ones: transactional mail takes from the first
    (`mails_per_minute` tokens at most), campaign mail from the second
    (`campaign_mails_per_minute`); each is refilled continuously."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="send_quota")
    mails_per_minute = models.PositiveIntegerField(
        _("mails per minute"),
        default=600,
        validators=[MinValueValidator(1)],
        help_text=_("Transactional mail: everything that is not campaign mail."),
    )
    tokens = models.FloatField(default=600.0)
    updated_at = models.DateTimeField()
    campaign_mails_per_minute = models.PositiveIntegerField(
        _("campaign mails per minute"),
        default=3000,
        validators=[MinValueValidator(1)],
        help_text=_("Campaign mail: marketing mail, which carries an unsubscribe link."),
    )
    campaign_tokens = models.FloatField(default=3000.0)
    campaign_updated_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("sending rate limit")
        verbose_name_plural = _("sending rate limits")

    def __str__(self) -> str:
        return f"{self.organization}: {self.mails_per_minute}/min"


def _new_verification_token() -> str:
    return secrets.token_urlsafe(24)


DKIM_SELECTOR = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
    _("Letters, digits and hyphens, at most 63, not starting or ending with a hyphen."),
)


def normalize_domain(value: str) -> str:
    """The form a domain is stored and compared in: lower-case ASCII (IDNA), no final dot."""
    value = value.strip().rstrip(".").lower()
    try:
        return value.encode("idna").decode("ascii")
    except UnicodeError:
        return value  # the validator explains what is wrong with it


class SenderDomain(models.Model):
    """A domain an organization sends from. It publishes the DNS records Engage shows it
    (SPF, DKIM, DMARC and a verification TXT); once they are found, mail may use the
    domain in its from address, and mail sent over SMTP is DKIM-signed with its key.

    The DKIM private key is generated with the row (RSA 2048) and stored encrypted
    (engage.crypto); only the public key is ever shown."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="sender_domains"
    )
    domain = models.CharField(
        _("domain"),
        max_length=253,
        validators=[DomainNameValidator(accept_idna=False)],
        help_text=_("The part after the @ of your from addresses, e.g. example.com."),
    )
    dkim_selector = models.CharField(
        _("DKIM selector"),
        max_length=63,
        default="engage",
        validators=[DKIM_SELECTOR],
        help_text=_("The DKIM record is published at selector._domainkey.your-domain."),
    )
    dkim_private_key = crypto.EncryptedTextField(_("DKIM private key"), blank=True, editable=False)  # PEM
    dkim_public_key = models.TextField(_("DKIM public key"), blank=True, editable=False)  # base64 DER, as in DNS
    verification_token = models.CharField(
        _("verification token"), max_length=64, default=_new_verification_token, editable=False
    )
    verification_ok = models.BooleanField(_("verification TXT found"), default=False, editable=False)
    spf_ok = models.BooleanField(_("SPF found"), default=False, editable=False)
    dkim_ok = models.BooleanField(_("DKIM found"), default=False, editable=False)
    dmarc_ok = models.BooleanField(_("DMARC found"), default=False, editable=False)
    # What the last DNS check found, record by record: {"spf": {"ok": bool, "detail": str}, ...}
    last_check = models.JSONField(_("last check"), default=dict, blank=True, editable=False)
    last_checked_at = models.DateTimeField(_("last checked at"), null=True, blank=True, editable=False)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["domain"]
        verbose_name = _("sender domain")
        verbose_name_plural = _("sender domains")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "domain"],
                name="one_sender_domain_per_organization",
                violation_error_message=_("This domain is already added."),
            ),
            models.CheckConstraint(
                condition=models.Q(domain=Lower("domain")),
                name="sender_domain_lower_case",
                violation_error_message=_("The domain must be lower-case."),
            ),
        ]

    def __str__(self) -> str:
        return self.domain

    def save(self, *args, **kwargs) -> None:
        # Single-row invariants: the stored form of the domain, and a key from the start.
        self.domain = normalize_domain(self.domain)
        if not self.dkim_private_key:
            self.dkim_private_key, self.dkim_public_key = generate_dkim_key()
        super().save(*args, **kwargs)

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def dkim_record_name(self) -> str:
        return f"{self.dkim_selector}._domainkey.{self.domain}"

    def clean_fields(self, exclude=None) -> None:
        self.domain = normalize_domain(self.domain or "")
        super().clean_fields(exclude)

    def private_key_pem(self) -> bytes:
        return crypto.decrypt(self.dkim_private_key).encode()


def generate_dkim_key() -> tuple[str, str]:
    """A new RSA 2048 key pair: (encrypted PKCS#1 private key PEM, as dkimpy reads it;
    public key as the DNS record's p= value)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return crypto.encrypt(private_pem), base64.b64encode(public_der).decode()


class AbRule(models.TextChoices):
    OPENS = "opens", _("unique opens")
    CLICKS = "clicks", _("unique clicks")


class AbVariant(models.TextChoices):
    A = "a", _("subject A")
    B = "b", _("subject B")


class Sendout(models.Model):
    """A prepared message sent once to every member of one or more groups (optionally
    narrowed by a selection): a newsletter. Its recipients are resolved into
    `SendoutRecipient` rows when it starts; the fan-out walks that table in batches and
    queues one outbox mail per row (see notifications.sendouts)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SCHEDULED = "scheduled", _("scheduled")
        SENDING = "sending", _("sending")
        PAUSED = "paused", _("paused")
        SENT = "sent", _("sent")
        CANCELLED = "cancelled", _("cancelled")

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=200)
    message = models.ForeignKey(
        PreparedMessage, verbose_name=_("prepared message"), on_delete=models.RESTRICT, related_name="sendouts"
    )
    groups = models.ManyToManyField(
        "contacts.Group",
        verbose_name=_("groups"),
        related_name="sendouts",
        help_text=_("Everybody who receives the mail of one of these groups gets it once."),
    )
    selection = models.ForeignKey(
        "contacts.Selection",
        verbose_name=_("only contacts in selection"),
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="sendouts",
        help_text=_("Optional: of the group members, only those the selection matches when the sendout starts."),
    )
    from_email = models.EmailField(
        _("from address"), blank=True, help_text=_("Empty: the prepared message's, or the mail settings' default.")
    )
    from_name = models.CharField(_("from display name"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Berlin")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("recipients found at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)
    # The A/B subject test (notifications.sendout_ab): a sample gets subject A or B, the
    # rest gets the winner once the wait is over.
    ab_test = models.BooleanField(
        _("A/B subject test"),
        default=False,
        help_text=_("Send two subjects to a sample first, then the rest with the subject that won."),
    )
    ab_subject = models.CharField(
        _("subject B"),
        max_length=255,
        blank=True,
        help_text=_(
            "Replaces the prepared message's subject in every language for variant B (dynamic text allowed). "
            "Subject A is the prepared message's own subject."
        ),
    )
    ab_share = models.PositiveSmallIntegerField(
        _("sample share per variant (%)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("Share of the recipients that gets A, and the same share that gets B (1 to 50)."),
    )
    ab_wait_minutes = models.PositiveIntegerField(
        _("wait before choosing (minutes)"), default=240, validators=[MinValueValidator(1)]
    )
    ab_rule = models.CharField(_("winner by"), max_length=8, choices=AbRule.choices, default=AbRule.OPENS)
    ab_decide_at = models.DateTimeField(_("winner chosen after"), null=True, blank=True, editable=False)
    ab_winner = models.CharField(
        _("winning subject"), max_length=1, choices=AbVariant.choices, blank=True, editable=False
    )
    # The worker driving the fan-out holds the sendout under a lease, like runs and mails.
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveIntegerField(default=0, editable=False)
    # Which worker process drives the sendout; a dead one's is given back at once (engage.recovery).
    holder = models.CharField(max_length=140, blank=True, default="", editable=False)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("group sendout")
        verbose_name_plural = _("group sendouts")
        indexes = [models.Index(fields=["status", "scheduled_at"], name="sendout_status_due")]

    def __str__(self) -> str:
        return self.name


class SendoutRecipient(models.Model):
    """One contact a sendout goes to. The unique constraint, not a check in Python, is what
    makes a contact get a sendout at most once: a row is created once, and moves from
    *pending* to *queued* together with its outbox mail, in one transaction."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        QUEUED = "queued", _("handed to the outbox")
        SUPPRESSED = "suppressed", _("suppressed")
        SKIPPED = "skipped", _("no longer a recipient")
        CANCELLED = "cancelled", _("cancelled")

    sendout = models.ForeignKey(
        Sendout, verbose_name=_("group sendout"), on_delete=models.CASCADE, related_name="recipients"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="sendout_recipients"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    message = models.OneToOneField(
        OutboundMessage,
        verbose_name=_("mail"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sendout_recipient",
    )
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    # In an A/B subject test: the sample variant this recipient got; empty for the rest,
    # who get the winner.
    variant = models.CharField(_("variant"), max_length=1, choices=AbVariant.choices, blank=True, default="")

    class Meta:
        verbose_name = _("sendout recipient")
        verbose_name_plural = _("sendout recipients")
        constraints = [models.UniqueConstraint(fields=["sendout", "contact"], name="one_recipient_per_sendout")]
        indexes = [models.Index(fields=["sendout", "status"], name="sendout_recipient_status")]

    def __str__(self) -> str:
        return f"{self.sendout} → {self.contact}"
