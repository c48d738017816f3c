from __future__ import annotations

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    """The tenant: every contact, automation, event and message belongs to one."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
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


class Contact(models.Model):
    """A person who receives mail. Contacts never log in to the admin; they may log in to
    the preference center with a password that is stored only as an Argon2 hash."""

    class Language(models.TextChoices):
        EN = "en", _("English")
        DE = "de", _("German")

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    email = models.EmailField(_("e-mail"), max_length=254)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.EN)
    attributes = models.JSONField(_("custom attributes"), default=dict, blank=True)
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
