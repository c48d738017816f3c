from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import DomainNameValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.validators import validate_single_line


def default_editable_fields() -> list[str]:
    return ["salutation", "first_name", "last_name", "language"]


class Organization(models.Model):
    """The tenant: every contact, automation, event and message belongs to one."""

    # What a contact may change in the preference center, besides the e-mail address.
    EDITABLE_FIELDS = ("salutation", "first_name", "last_name", "phone", "language")

    name = models.CharField(_("name"), max_length=200, validators=[validate_single_line])
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    logo_url = models.URLField(_("logo URL"), blank=True, help_text=_("Shown at the top of the preference center."))
    portal_host = models.CharField(
        _("preference-center host name"),
        max_length=253,
        null=True,
        blank=True,
        unique=True,
        validators=[DomainNameValidator(accept_idna=False)],
        help_text=_("Optional own host name (e.g. preferences.example.com) that serves this preference center."),
    )
    portal_editable_fields = models.JSONField(
        _("fields contacts may edit"),
        default=default_editable_fields,
        blank=True,
        help_text=_("Any of: salutation, first_name, last_name, phone, language, and custom attribute keys."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class OrganizationQuerySet(models.QuerySet):
    def for_organization(self, organization: Organization | int | None):
        return self.filter(organization=organization)


class User(AbstractUser):
    """A system user. Superusers are host administrators and belong to no organization;
    everybody else belongs to exactly one organization, as its admin or as a marketer."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        MARKETER = "marketer", _("Marketer")

    first_name = models.CharField(_("first name"), max_length=150, blank=True, validators=[validate_single_line])
    last_name = models.CharField(_("last name"), max_length=150, blank=True, validators=[validate_single_line])
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="users",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MARKETER)

    objects = UserManager()

    class Meta:
        verbose_name = _("system user")
        verbose_name_plural = _("system users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_superuser=True) | models.Q(organization__isnull=False),
                name="user_superuser_or_organization",
                violation_error_message=_("A system user who is not a host administrator needs an organization."),
            )
        ]


class Tag(models.Model):
    """A label that classifies contacts ("customer", "newsletter-2026")."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100, validators=[validate_single_line])

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [models.UniqueConstraint("organization", Lower("name"), name="tag_name_unique_per_organization")]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person who receives mail. Contacts never log in to the admin; they may log in to
    the preference center with a password that is stored only as an Argon2 hash."""

    class Language(models.TextChoices):
        EN = "en", _("English")
        DE = "de", _("German")

    class Salutation(models.TextChoices):
        NONE = "", _("(none)")
        MS = "ms", _("Ms")
        MR = "mr", _("Mr")
        MX = "mx", _("Mx")

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    email = models.EmailField(_("e-mail"), max_length=254)
    salutation = models.CharField(_("salutation"), max_length=8, choices=Salutation.choices, blank=True, default="")
    first_name = models.CharField(_("first name"), max_length=100, blank=True, validators=[validate_single_line])
    last_name = models.CharField(_("last name"), max_length=100, blank=True, validators=[validate_single_line])
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True, validators=[validate_single_line])
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.EN)
    external_ref = models.CharField(_("external reference"), max_length=255, blank=True, db_index=True)
    attributes = models.JSONField(_("custom attributes"), default=dict, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="contacts")
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True, editable=False)
    password = models.CharField(_("preference-center password"), max_length=256, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["email"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                name="contact_email_unique_per_organization",
                violation_error_message=_("This organization already has a contact with this e-mail address."),
            )
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def set_password(self, raw_password: str) -> None:
        self.password = make_password(raw_password)

    def check_password(self, raw_password: str) -> bool:
        return bool(self.password) and check_password(raw_password, self.password)


class AttributeDefinition(models.Model):
    """A custom contact attribute of an organization, with the type its values must have."""

    class Type(models.TextChoices):
        TEXT = "text", _("text")
        NUMBER = "number", _("number")
        DATE = "date", _("date")
        BOOLEAN = "boolean", _("yes/no")
        CHOICE = "choice", _("choice")

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    key = models.CharField(
        _("key"),
        max_length=64,
        validators=[
            RegexValidator(
                r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$",
                _("Use lower-case letters, digits and single underscores, starting with a letter (e.g. shoe_size)."),
            )
        ],
        help_text=_("Used in CSV columns (attr:<key>), the API and dynamic text ({{ contact.attributes.<key> }})."),
    )
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.TEXT)
    choices = models.JSONField(
        _("choices"), default=list, blank=True, help_text=_("For choice attributes: the values allowed.")
    )
    required = models.BooleanField(_("required"), default=False)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["label"]
        verbose_name = _("custom attribute")
        verbose_name_plural = _("custom attributes")
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="attribute_key_unique_per_organization")
        ]

    def __str__(self) -> str:
        return self.label


class Group(models.Model):
    """A mailing list. Contacts are members with a state; public groups are offered in the
    preference center; double opt-in groups count a subscription only once confirmed."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100, validators=[validate_single_line])
    description = models.TextField(_("description"), blank=True)
    is_public = models.BooleanField(_("public"), default=False, help_text=_("Offered in the preference center."))
    double_opt_in = models.BooleanField(_("double opt-in"), default=False)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        constraints = [
            models.UniqueConstraint("organization", Lower("name"), name="group_name_unique_per_organization")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class State(models.TextChoices):
        MEMBER = "member", _("member")
        PENDING = "pending", _("waiting for confirmation")
        SUBSCRIBED = "subscribed", _("subscribed")
        UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
        BLACKLISTED = "blacklisted", _("blacklisted")

    # The states in which a contact receives the group's mail.
    RECEIVING = (State.MEMBER, State.SUBSCRIBED)

    group = models.ForeignKey(Group, verbose_name=_("group"), on_delete=models.CASCADE, related_name="memberships")
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="memberships"
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.MEMBER)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["group", "contact"], name="membership_unique")]
        indexes = [models.Index(fields=["group", "state"])]

    def __str__(self) -> str:
        return f"{self.contact} · {self.group} · {self.get_state_display()}"


class Transaction(models.Model):
    """A timestamped fact about a contact (an order, a ticket, a survey answer)."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="transactions"
    )
    type = models.CharField(_("type"), max_length=64)
    data = models.JSONField(_("data"), default=dict, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        # "has a transaction of type X in the last N days" walks this index.
        indexes = [models.Index(fields=["organization", "type", "occurred_at"], name="transaction_type_time")]

    def __str__(self) -> str:
        return f"{self.type} · {self.occurred_at:%Y-%m-%d}"


class Selection(models.Model):
    """A saved set of conditions on contacts (see contacts/selections.py for the format).
    Evaluated when it is used, never stored as a list of contacts."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100, validators=[validate_single_line])
    description = models.TextField(_("description"), blank=True)
    definition = models.JSONField(_("conditions"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("selection")
        verbose_name_plural = _("selections")

    def __str__(self) -> str:
        return self.name


class ConsentRecord(models.Model):
    """Proof of what a contact agreed to, when, from where. Never edited, kept after erasure
    of the contact's personal data only in anonymous form."""

    class Action(models.TextChoices):
        SUBSCRIBE_REQUESTED = "subscribe_requested", _("asked to subscribe (waiting for confirmation)")
        SUBSCRIBED = "subscribed", _("subscribed")
        CONFIRMED = "confirmed", _("confirmed the subscription")
        UNSUBSCRIBED = "unsubscribed", _("unsubscribed")

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, on_delete=models.SET_NULL, related_name="consents"
    )
    group = models.ForeignKey(Group, verbose_name=_("group"), null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=64)
    text = models.TextField(_("what was agreed to"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.at:%Y-%m-%d %H:%M}"


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
        db_table = "notifications_suppression"  # created by the notifications app, kept when it moved
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


class LoginFailure(models.Model):
    """A failed preference-center login. Counted per address and per IP across every web
    process; old rows are deleted by the periodic clean-up."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    email = models.CharField(max_length=254)  # lower-cased
    ip_address = models.GenericIPAddressField(null=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "email", "at"], name="loginfailure_email"),
            models.Index(fields=["ip_address", "at"], name="loginfailure_ip"),
        ]

    def __str__(self) -> str:
        return f"{self.email} from {self.ip_address} at {self.at:%Y-%m-%d %H:%M}"


class ContactImport(models.Model):
    """A CSV file of contacts, previewed, then imported in the background in batches.

    The file is kept in the database as chunks of rows (ContactImportChunk), so that a
    worker on any machine can import it without a shared disk and without reading the
    whole file into memory."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("ready to import")
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        FINISHED = "finished", _("finished")
        FAILED = "failed", _("failed")

    MAX_REPORTED_ERRORS = 1000

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    file_name = models.CharField(_("file"), max_length=255)
    columns = models.JSONField(_("columns"), default=list)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.UPLOADED)
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    errors = models.JSONField(_("error report"), default=list, blank=True)
    failure = models.TextField(_("failure"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("contact import")
        verbose_name_plural = _("contact imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def progress_percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class ContactImportChunk(models.Model):
    contact_import = models.ForeignKey(ContactImport, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    first_line = models.PositiveIntegerField()  # line number in the file, for error reports
    rows = models.JSONField()  # list of lists of cell values
    done = models.BooleanField(default=False)

    class Meta:
        ordering = ["index"]
        constraints = [models.UniqueConstraint(fields=["contact_import", "index"], name="import_chunk_unique")]

    def __str__(self) -> str:
        return f"chunk {self.index} of {self.contact_import_id}"
