"""Writes about contacts and system users. Every one that matters fires its event."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from contacts.logins import lift_lockout
from contacts.models import ConsentRecord, Contact, Group, Membership, Organization, Suppression, Tag, Transaction, User
from contacts.selectors import contact_by_email
from contacts.suppression import lift_unsubscribe, suppress
from contacts.validators import single_line
from engage import ports
from engage.errors import PermanentError
from engage.events import EventType, record_event

# No 0/O, 1/l/I: a password read from a mail is typed by hand.
PASSWORD_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105
PASSWORD_LENGTH = 14


def generate_password(length: int = PASSWORD_LENGTH) -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


@transaction.atomic
def create_organization(*, name: str, slug: str, **fields: Any) -> Organization:
    organization = Organization(name=name, slug=slug, **fields)
    organization.full_clean()
    return save_new_organization(organization=organization)


@transaction.atomic
def save_new_organization(*, organization: Organization) -> Organization:
    """Store a new organization that a form has built and checked (the admin); what it
    starts with is set up by the apps above (see engage.ports)."""
    organization.save()
    ports.organization_created(organization)
    return organization


@transaction.atomic
def create_contact(
    *, organization: Organization, email: str, source: str = "engage", registered: bool = False, **fields: Any
) -> Contact:
    """Create a contact; fires *contact created*, and *registered* when the person signed up
    themselves (the preference center, or an integration saying so)."""
    contact = Contact(organization=organization, email=email, **fields)
    contact.full_clean(validate_unique=False)
    contact = save_new_contact(contact=contact, source=source)
    if registered:
        record_event(organization=organization, type=EventType.REGISTERED, contact=contact, source=source)
    return contact


@transaction.atomic
def save_new_contact(*, contact: Contact, source: str) -> Contact:
    """Store a new contact that a form has built and checked (the admin); fires *contact created*."""
    contact.save()
    record_event(organization=contact.organization, type=EventType.CONTACT_CREATED, contact=contact, source=source)
    ports.contact_added(contact)
    return contact


def find_or_create_contact(
    *, organization: Organization, email: str, source: str, first_name: str = "", last_name: str = ""
) -> Contact | None:
    """The organization's contact with this e-mail address, created if there is none.
    None if `email` is not an address a contact can have."""
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        return None
    contact = contact_by_email(organization, email)
    if contact is not None:
        return contact
    try:
        with transaction.atomic():
            return create_contact(
                organization=organization,
                email=email,
                source=source,
                first_name=single_line(first_name)[:100],
                last_name=single_line(last_name)[:100],
            )
    except IntegrityError:
        return contact_by_email(organization, email)  # created meanwhile by a concurrent delivery
    except ValidationError:
        return None  # valid in general, but not for a contact (e.g. longer than 254 characters)


def save_contact(*, contact: Contact, data: dict[str, Any], source: str) -> Contact:
    """Change a contact's fields and attributes (merged), firing *profile data changed*."""
    data = dict(data)
    attributes = data.pop("attributes", None)
    data.pop("registered", None)  # an existing contact registered, or not, long ago
    update_profile(contact=contact, fields=data, attributes=attributes, source=source)
    contact.refresh_from_db()
    return contact


@transaction.atomic
def upsert_contact(*, organization: Organization, data: dict[str, Any], source: str) -> tuple[Contact, bool]:
    """Find the contact by e-mail (see contact_by_email) and update it, or create it.
    Returns (contact, created)."""
    contact = contact_by_email(organization, data["email"], lock=True)
    if contact is None:
        return create_contact(organization=organization, source=source, **data), True
    return save_contact(contact=contact, data={k: v for k, v in data.items() if k != "email"}, source=source), False


@transaction.atomic
def save_system_user(*, user: User, source: str = "admin") -> User:
    """Store a system user that a form has built or changed (the admin). Every system user
    but a host administrator works in the admin; a new one fires *system user created*."""
    created = user._state.adding
    if not user.is_superuser:
        user.is_staff = True
    user.save()
    # Host administrators belong to no organization, so no automation sees them.
    if created and user.organization_id is not None:
        record_event(organization=user.organization, type=EventType.SYSTEM_USER_CREATED, user=user, source=source)
    return user


def system_user_logged_on(user: User) -> None:
    if user.organization_id is not None:
        record_event(organization=user.organization, type=EventType.SYSTEM_USER_LOGGED_ON, user=user, source="admin")


@transaction.atomic
def request_password(*, contact: Contact, source: str = "portal") -> None:
    record_event(organization=contact.organization, type=EventType.PASSWORD_REQUESTED, contact=contact, source=source)


# --- Groups ---------------------------------------------------------------------------
class MembershipRefused(PermanentError):
    """The contact may not join this group (blacklisted)."""


def _membership(contact: Contact, group: Group) -> Membership:
    if group.organization_id != contact.organization_id:
        raise PermanentError("The group belongs to another organization.")
    membership, _ = Membership.objects.select_for_update().get_or_create(
        group=group, contact=contact, defaults={"state": Membership.State.UNSUBSCRIBED}
    )
    return membership


def _set_state(membership: Membership, state: str, *, reason: str = "") -> bool:
    """Change the state; returns whether anything changed."""
    if membership.state == state and membership.reason == reason:
        return False
    membership.state = state
    membership.reason = reason
    membership.save(update_fields=["state", "reason", "changed_at"])
    return True


def _consent(
    contact: Contact, group: Group, action: str, *, ip_address: str | None, source: str, text: str = ""
) -> ConsentRecord:
    return ConsentRecord.objects.create(
        organization_id=contact.organization_id,
        contact=contact,
        group=group,
        action=action,
        ip_address=ip_address,
        source=source,
        text=text or f"{group.name}: {group.description}".strip(": "),
    )


@transaction.atomic
def add_member(*, contact: Contact, group: Group, source: str = "engage") -> Membership:
    """Make a contact a member (added by the organization, not subscribed by themselves)."""
    membership = _membership(contact, group)
    if membership.state == Membership.State.BLACKLISTED:
        raise MembershipRefused(f"{contact.email} is blacklisted for {group.name}.")
    if membership.state not in Membership.RECEIVING and _set_state(membership, Membership.State.MEMBER):
        _group_event(EventType.MEMBER_ADDED, contact, group, source=source)
    return membership


@transaction.atomic
def subscribe(*, contact: Contact, group: Group, source: str, ip_address: str | None = None) -> Membership:
    """The contact asks to receive the group's mail. For a double opt-in group the
    subscription waits for the confirmation link that this sends."""
    membership = _membership(contact, group)
    if membership.state == Membership.State.BLACKLISTED:
        raise MembershipRefused(f"{contact.email} is blacklisted for {group.name}.")
    if membership.state in Membership.RECEIVING:
        return membership
    # Asking for mail again ends an earlier "unsubscribe from everything" (not a bounce).
    lift_unsubscribe(organization=contact.organization, address=contact.email)
    if group.double_opt_in:
        _set_state(membership, Membership.State.PENDING)
        _consent(contact, group, ConsentRecord.Action.SUBSCRIBE_REQUESTED, ip_address=ip_address, source=source)
        ports.queue_contact_mail("confirm_subscription", membership=membership)
        return membership
    _set_state(membership, Membership.State.SUBSCRIBED)
    _consent(contact, group, ConsentRecord.Action.SUBSCRIBED, ip_address=ip_address, source=source)
    _group_event(EventType.SUBSCRIBED, contact, group, source=source)
    return membership


@transaction.atomic
def confirm_subscription(
    *, membership_id: int, ip_address: str | None = None, source: str = "confirmation link"
) -> Membership:
    membership = Membership.objects.select_for_update().select_related("group", "contact").get(pk=membership_id)
    if membership.state == Membership.State.PENDING:
        _set_state(membership, Membership.State.SUBSCRIBED)
        _consent(
            membership.contact, membership.group, ConsentRecord.Action.CONFIRMED, ip_address=ip_address, source=source
        )
        _group_event(EventType.SUBSCRIBED, membership.contact, membership.group, source=source)
    return membership


@transaction.atomic
def unsubscribe(
    *, contact: Contact, group: Group, source: str, reason: str = "", ip_address: str | None = None
) -> Membership:
    membership = _membership(contact, group)
    if membership.state in {Membership.State.UNSUBSCRIBED, Membership.State.BLACKLISTED}:
        return membership
    _set_state(membership, Membership.State.UNSUBSCRIBED, reason=reason[:500])
    _consent(contact, group, ConsentRecord.Action.UNSUBSCRIBED, ip_address=ip_address, source=source, text=reason)
    _group_event(EventType.UNSUBSCRIBED, contact, group, source=source, reason=reason)
    return membership


@transaction.atomic
def save_memberships_by_hand(
    *,
    memberships: Sequence[Membership],
    deleted: Sequence[Membership] = (),
    source: str,
    ip_address: str | None = None,
) -> None:
    """Memberships someone added, changed or deleted by hand (the contact's page in the
    admin). A changed state gets the consent record, event and confirmation mail the same
    change makes anywhere else."""
    for membership in deleted:
        _delete_membership(membership, source=source)
    ids = [m.pk for m in memberships if m.pk is not None]
    stored = dict(Membership.objects.select_for_update().filter(pk__in=ids).values_list("pk", "state"))
    for membership in memberships:
        previous = stored.get(membership.pk) if membership.pk is not None else None
        membership.save()
        _membership_set_by_hand(membership, previous=previous, source=source, ip_address=ip_address)


def _membership_set_by_hand(
    membership: Membership, *, previous: str | None, source: str, ip_address: str | None
) -> None:
    if membership.state == previous:
        return
    contact, group, state = membership.contact, membership.group, membership.state
    action = {
        Membership.State.SUBSCRIBED: ConsentRecord.Action.SUBSCRIBED,
        Membership.State.UNSUBSCRIBED: ConsentRecord.Action.UNSUBSCRIBED,
        Membership.State.PENDING: ConsentRecord.Action.SUBSCRIBE_REQUESTED,
    }.get(state)
    if action is not None:
        _consent(contact, group, action, ip_address=ip_address, source=source, text=membership.reason)
    event = {
        Membership.State.SUBSCRIBED: EventType.SUBSCRIBED,
        Membership.State.UNSUBSCRIBED: EventType.UNSUBSCRIBED,
        Membership.State.MEMBER: EventType.MEMBER_ADDED,
    }.get(state)
    if event is not None:
        _group_event(event, contact, group, source=source)
    if state == Membership.State.PENDING:
        ports.queue_contact_mail("confirm_subscription", membership=membership)


@transaction.atomic
def update_subscriptions(
    *, contact: Contact, wanted: Mapping[Group, bool], source: str, reason: str = "", ip_address: str | None = None
) -> None:
    """The contact's own choice of groups (the preference center's checkboxes): subscribe to
    each wanted group that it neither receives nor waits to confirm, unsubscribe from each
    unwanted one that it receives or waits for. A blacklisted group stays as it is."""
    states = dict(Membership.objects.filter(contact=contact).values_list("group_id", "state"))
    for group, want in wanted.items():
        state = states.get(group.pk)
        receiving = state in (*Membership.RECEIVING, Membership.State.PENDING)
        if want and not receiving and state != Membership.State.BLACKLISTED:
            subscribe(contact=contact, group=group, source=source, ip_address=ip_address)
        elif not want and receiving:
            unsubscribe(contact=contact, group=group, source=source, reason=reason, ip_address=ip_address)


def unsubscribe_all(*, contact: Contact, source: str, reason: str = "", ip_address: str | None = None) -> int:
    groups = Group.objects.filter(
        memberships__contact=contact, memberships__state__in=[*Membership.RECEIVING, Membership.State.PENDING]
    )
    count = 0
    for group in groups:
        unsubscribe(contact=contact, group=group, source=source, reason=reason, ip_address=ip_address)
        count += 1
    return count


@transaction.atomic
def unsubscribe_everything(*, contact: Contact, source: str, reason: str = "", ip_address: str | None = None) -> None:
    """Unsubscribe the contact from every group. "Everything" means every mail to this
    address: it goes on the suppression list too."""
    unsubscribe_all(contact=contact, source=source, reason=reason, ip_address=ip_address)
    suppress(
        organization=contact.organization, address=contact.email, reason=Suppression.Reason.UNSUBSCRIBE, note=source
    )


@transaction.atomic
def blacklist(*, contact: Contact, group: Group, reason: str = "", source: str = "engage") -> Membership:
    membership = _membership(contact, group)
    _set_state(membership, Membership.State.BLACKLISTED, reason=reason[:500])
    return membership


@transaction.atomic
def remove_member(*, contact: Contact, group: Group, source: str = "engage") -> bool:
    """Forget the membership (unlike unsubscribe, which keeps the opt-out). A blacklist
    entry stays. Fires *member removed from group* when there was one to remove."""
    membership = (
        Membership.objects.select_for_update()
        .filter(contact=contact, group=group)
        .exclude(state=Membership.State.BLACKLISTED)
        .first()
    )
    if membership is None:
        return False
    _delete_membership(membership, source=source)
    return True


@transaction.atomic
def remove_from_all_groups(*, contact: Contact, source: str = "engage") -> int:
    """Forget every membership of the contact but its blacklist entries; one *member
    removed from group* per group. Returns how many were removed."""
    memberships = list(
        Membership.objects.select_for_update()
        .filter(contact=contact)
        .exclude(state=Membership.State.BLACKLISTED)
        .select_related("group")
        .order_by("id")
    )
    for membership in memberships:
        _delete_membership(membership, source=source)
    return len(memberships)


def _delete_membership(membership: Membership, *, source: str) -> None:
    contact, group, state = membership.contact, membership.group, membership.state
    membership.delete()
    _group_event(EventType.MEMBER_REMOVED, contact, group, source=source, state=state)


@transaction.atomic
def save_group(*, group: Group, source: str, user: User | None = None) -> Group:
    """Store a group someone created or changed; a new one fires *group created* (a
    system event: `user` is who created it, none for the API)."""
    created = group.pk is None
    group.save()
    if created:
        record_event(
            organization=group.organization,
            type=EventType.GROUP_CREATED,
            user=user,
            payload={"group": {"id": group.pk, "name": group.name}},
            source=source,
        )
    return group


def _group_event(type: str, contact: Contact, group: Group, *, source: str, **extra: str) -> None:
    payload = {"group": {"id": group.pk, "name": group.name}, **extra}
    record_event(organization=contact.organization, type=type, contact=contact, payload=payload, source=source)


# --- Transactions and tags --------------------------------------------------------------
@transaction.atomic
def add_transaction(*, contact: Contact, type: str, data: dict | None = None, occurred_at=None) -> Transaction:
    return Transaction.objects.create(
        organization_id=contact.organization_id,
        contact=contact,
        type=type,
        data=data or {},
        occurred_at=occurred_at or timezone.now(),
    )


@transaction.atomic
def add_tag(*, contact: Contact, name: str) -> Tag:
    tag = Tag.objects.filter(organization_id=contact.organization_id, name__iexact=name).first()
    if tag is None:
        tag = Tag.objects.create(organization_id=contact.organization_id, name=name)
    contact.tags.add(tag)
    return tag


@transaction.atomic
def remove_tag(*, contact: Contact, name: str) -> bool:
    tags = list(contact.tags.filter(name__iexact=name))
    contact.tags.remove(*tags)
    return bool(tags)


# --- Preference center ------------------------------------------------------------------
@transaction.atomic
def update_profile(
    *, contact: Contact, fields: dict[str, Any], attributes: dict[str, Any] | None = None, source: str = "portal"
) -> list[str]:
    """Change standard fields and attributes; fires *profile data changed* with the names
    of what changed. Returns those names (empty: nothing changed, no event).

    Compares with the stored row, not with `contact` (a model form may have changed it)."""
    stored = Contact.objects.select_for_update().get(pk=contact.pk)
    changed = [name for name, value in fields.items() if getattr(stored, name) != value]
    for name in changed:
        setattr(stored, name, fields[name])
    for key, value in (attributes or {}).items():
        if stored.attributes.get(key) != value:
            stored.attributes[key] = value
            changed.append(key)
    if changed:
        stored.save()
        record_event(
            organization=stored.organization,
            type=EventType.PROFILE_CHANGED,
            contact=stored,
            payload={"changed": changed},
            source=source,
        )
    return changed


@transaction.atomic
def set_contact_password(*, contact: Contact, password: str) -> None:
    """Store a new password; the address's failed logins are forgotten with the old one."""
    contact.set_password(password)
    contact.save(update_fields=["password", "updated_at"])
    lift_lockout(contact)


@transaction.atomic
def register(
    *,
    organization: Organization,
    email: str,
    first_name: str = "",
    last_name: str = "",
    language: str = "en",
    groups: list[Group] | tuple = (),
    ip_address: str | None = None,
) -> Contact | None:
    """Sign-up in the preference center. An address that is already a contact changes
    nothing, and the page says the same as for a new one, so it reveals nobody; the
    address's owner gets a mail saying they already have an account."""
    existing = contact_by_email(organization, email)
    if existing is not None:
        ports.queue_contact_mail("already_registered", contact=existing)
        return None
    contact = create_contact(
        organization=organization,
        email=email,
        first_name=first_name,
        last_name=last_name,
        language=language,
        source="portal",
        registered=True,
    )
    for group in groups:
        subscribe(contact=contact, group=group, source="portal registration", ip_address=ip_address)
    return contact
