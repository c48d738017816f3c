"""What every job is made of.

A job is one module in `automations/jobs/` holding a class named `Job` that subclasses
`BaseJob` (the way each anymail ESP is one module holding an `EmailBackend`). The module's
name is the job's key, stored on the automation. Nothing else needs to be registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms

from engage.errors import PermanentError

if TYPE_CHECKING:
    from automations.models import Automation, Event, Run
    from contacts.models import Contact, User


class NoParameters(forms.Form):
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

    def require_contact(self) -> Contact:
        if self.contact is None:
            raise PermanentError("This job needs a contact, and the run has none.")
        if self.contact.erased_at is not None:
            raise PermanentError("The contact's personal data has been erased.")
        return self.contact

    def require_user(self) -> User:
        if self.user is None:
            raise PermanentError("This job needs a system user, and the run has none.")
        return self.user


class BaseJob:
    key: ClassVar[str] = ""  # set by the registry from the module name
    label: ClassVar[str]
    # K (contact), S (system) or both: which events the job may follow.
    scopes: ClassVar[frozenset[str]]
    description: ClassVar[str] = ""
    params_form: ClassVar[type[forms.Form]] = NoParameters

    def execute(self, context: JobContext) -> dict[str, Any]:
        """Do the work and return what should be shown as the run's output.

        Raise `engage.errors.PermanentError` or `TransientError` to fail; any other
        exception counts as permanent. Must be safe to call again after a crash.
        """
        raise NotImplementedError

    @classmethod
    def scope_label(cls) -> str:
        return "/".join(sorted(str(s) for s in cls.scopes))
