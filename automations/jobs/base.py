"""What every job is made of.

A job is one module in a `jobs` package (`automations/jobs/`, or an integration's) holding
a class named `Job` that subclasses `BaseJob` (the way each anymail ESP is one module
holding an `EmailBackend`). The module's name is the job's key, stored on the automation.
Nothing else needs to be registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.utils.translation import gettext_noop

from engage import crypto, events
from engage.errors import PermanentError
from engage.lib import memo
from engage.notes import note, sentence

if TYPE_CHECKING:
    from automations.models import Automation, Event, Run
    from contacts.models import Contact, User


# A job parameter stored encrypted (a signing secret) is this prefix and an engage.crypto token.
ENCRYPTED = "enc:"

# Why a job cannot act (see engage.notes).
GONE = sentence(gettext_noop("The %(thing)s chosen for this job no longer exists."))
NO_CONTACT = sentence(gettext_noop("This job needs a contact, and the run has none."))
ERASED = sentence(gettext_noop("The contact's personal data has been erased."))
NO_USER = sentence(gettext_noop("This job needs a system user, and the run has none."))


def rotate_encrypted_params(automation: Automation) -> int:
    """Re-encrypt the automation's encrypted parameters with the newest key (key rotation)."""
    params = automation.job_params or {}
    secret = {key: value for key, value in params.items() if isinstance(value, str) and value.startswith(ENCRYPTED)}
    for key, value in secret.items():
        params[key] = ENCRYPTED + crypto.rotate(value[len(ENCRYPTED) :])
    if secret:
        automation.save(update_fields=["job_params"])
    return len(secret)


class JobParameters(forms.Form):
    """Base of every job's parameter form. Knows the organization (for its choices) and
    turns its cleaned data into the JSON stored on the automation."""

    def __init__(self, *args, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.for_organization(organization)

    def for_organization(self, organization) -> None:
        """Offer (and accept) only the organization's objects in every choice field."""
        self.organization = organization
        for field in self.fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None:
                field.queryset = queryset.model._default_manager.filter(organization=organization)

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(value, "pk", value) for name, value in self.cleaned_data.items()}


class NoParameters(JobParameters):
    """The parameter form of a job that takes none."""


@dataclass(frozen=True)
class JobContext:
    """Everything a job may look at. Built fresh from the database for every attempt."""

    run: Run
    automation: Automation
    event: Event
    params: dict[str, Any]
    contact: Contact | None = None
    user: User | None = None

    @property
    def organization(self):
        return self.automation.organization

    def template_data(self) -> dict[str, Any]:
        from engage.lib.dynamic import template_data

        return template_data(contact=self.contact, user=self.user, event=self.event, organization=self.organization)

    def related(self, model, param: str):
        """The object a parameter names (by id), in this organization, or a permanent error."""
        pk = self.params.get(param)
        obj = memo.remembered(
            ("related", model._meta.label, self.organization.pk, pk),
            lambda: model.objects.filter(organization=self.organization, pk=pk).first(),
        )
        if obj is None:
            raise PermanentError(note(GONE, thing=model._meta.verbose_name))
        return obj

    def require_contact(self) -> Contact:
        if self.contact is None:
            raise PermanentError(note(NO_CONTACT))
        if self.contact.erased_at is not None:
            raise PermanentError(note(ERASED))
        return self.contact

    def adopt_contact(self, contact: Contact) -> None:
        """Make a contact the job found or created the run's own (and its event's, if the
        event had none): *automation finished* then acts on it, so a next step (an
        invitation) reaches the person the event was about."""
        from automations.models import Event, Run

        self.run.contact = contact
        Run.objects.filter(pk=self.run.pk).update(contact=contact)
        if self.event.contact_id is None:
            self.event.contact = contact
            Event.objects.filter(pk=self.event.pk, contact__isnull=True).update(contact=contact)

    def require_user(self) -> User:
        if self.user is None:
            raise PermanentError(note(NO_USER))
        return self.user


class BaseJob:
    key: ClassVar[str] = ""  # set by the registry from the module name
    label: ClassVar[str]
    # K (contact), S (system) or both: which events the job may follow.
    scopes: ClassVar[frozenset[str]]
    description: ClassVar[str] = ""
    params_form: ClassVar[type[JobParameters]] = NoParameters
    # Jobs that only change our database run inside the transaction that records their
    # result (all or nothing). Jobs that call other systems must not hold a transaction
    # open while they wait: they run before it, and may run again after a crash.
    transactional: ClassVar[bool] = True
    # Most jobs act on a contact or a system user, and their runs are skipped when the event
    # has none. A job that works from the event's data alone (add to directory, which
    # creates the contact an inbound notification names) runs without one.
    needs_target: ClassVar[bool] = True
    # A job that replaces the target's password: two of them on one event make the first
    # mail's password useless, which the automations list warns about.
    sends_password: ClassVar[bool] = False

    def execute(self, context: JobContext) -> dict[str, Any]:
        """Do the work and return what should be shown as the run's output.

        Raise `engage.errors.PermanentError` or `TransientError` to fail; any other
        exception counts as permanent. Must be safe to call again after a crash.
        """
        raise NotImplementedError

    @classmethod
    def scope_label(cls) -> str:
        return events.scope_label(cls.scopes)
