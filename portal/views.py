"""The preference center: what a contact sees. Views parse, call one service, render."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from contacts import logins, services
from contacts.models import Contact, Group, Membership, Organization
from contacts.selectors import contact_by_email
from contacts.tokens import InvalidToken, read_confirmation_token, read_unsubscribe_token
from engage.lib.remote import client_ip
from portal import auth
from portal.forms import (
    EmailForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    RegistrationForm,
    SubscriptionsForm,
    UnsubscribeForm,
)


def organization_for(request: HttpRequest, slug: str | None) -> Organization:
    """By slug in the URL, or by the organization's own host name."""
    if slug:
        return get_object_or_404(Organization, slug=slug)
    return get_object_or_404(Organization, portal_host=request.get_host().split(":")[0].lower())


def portal_url(request: HttpRequest, organization: Organization, name: str, **kwargs) -> str:
    if request.resolver_match and "slug" not in request.resolver_match.kwargs:
        return reverse(f"portal-host:{name}", kwargs=kwargs)
    return reverse(f"portal:{name}", kwargs={"slug": organization.slug, **kwargs})


def portal_view(view):
    """Resolve the organization; for `contact_view`s also the logged-in contact."""

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str | None = None, **kwargs):
        organization = organization_for(request, slug)
        return view(request, organization, **kwargs)

    return wrapper


def contact_view(view):
    @portal_view
    @wraps(view)
    def wrapper(request: HttpRequest, organization: Organization, **kwargs):
        contact = auth.current_contact(request, organization)
        if contact is None:
            return HttpResponseRedirect(portal_url(request, organization, "login"))
        with translation.override(contact.language):
            return view(request, organization, contact, **kwargs)

    return wrapper


def page(
    request: HttpRequest, organization: Organization, template: str, *, status: int = 200, **context
) -> HttpResponse:
    context.update(
        organization=organization,
        logged_in=auth.session_key(organization) in request.session,
        urls={
            name: portal_url(request, organization, name)
            for name in ("login", "logout", "profile", "subscriptions", "password", "forgot", "register")
        },
    )
    return render(request, f"portal/{template}", context, status=status)


@portal_view
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest, organization: Organization) -> HttpResponse:
    if auth.current_contact(request, organization) is not None:
        return HttpResponseRedirect(portal_url(request, organization, "subscriptions"))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = logins.log_in(
                organization=organization,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                ip_address=client_ip(request),
            )
        except logins.LockedOut:
            form.add_error(None, _("Too many failed attempts. Please wait 20 minutes and try again."))
        else:
            if contact is None:
                form.add_error(None, _("The e-mail address or the password is wrong."))
            else:
                auth.start_session(request, contact)
                return HttpResponseRedirect(portal_url(request, organization, "subscriptions"))
    return page(request, organization, "login.html", form=form, status=400 if form.errors else 200)


@portal_view
@require_POST
def logout(request: HttpRequest, organization: Organization) -> HttpResponse:
    auth.log_out(request)
    messages.success(request, _("You have been logged out."))
    return HttpResponseRedirect(portal_url(request, organization, "login"))


@contact_view
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest, organization: Organization, contact: Contact) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=contact, organization=organization)
    if request.method == "POST" and form.is_valid():
        attributes = form.attribute_changes()
        if form.is_valid():  # attribute_changes may add errors
            services.update_profile(contact=contact, fields=form.standard_changes(), attributes=attributes)
            messages.success(request, _("Your profile has been saved."))
            return HttpResponseRedirect(portal_url(request, organization, "profile"))
    return page(request, organization, "profile.html", form=form, contact=contact)


@contact_view
@require_http_methods(["GET", "POST"])
def subscriptions(request: HttpRequest, organization: Organization, contact: Contact) -> HttpResponse:
    form = SubscriptionsForm(request.POST or None, contact=contact)
    if request.method == "POST" and form.is_valid():
        services.update_subscriptions(
            contact=contact,
            wanted=form.wanted(),
            source="preference center",
            reason=form.cleaned_data["reason"],
            ip_address=client_ip(request),
        )
        messages.success(request, _("Your subscriptions have been saved."))
        return HttpResponseRedirect(portal_url(request, organization, "subscriptions"))
    return page(request, organization, "subscriptions.html", form=form, contact=contact)


@contact_view
@require_http_methods(["GET", "POST"])
def password(request: HttpRequest, organization: Organization, contact: Contact) -> HttpResponse:
    form = PasswordChangeForm(contact, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.set_contact_password(contact=contact, password=form.cleaned_data["new_password1"])
        request.session.cycle_key()
        messages.success(request, _("Your password has been changed."))
        return HttpResponseRedirect(portal_url(request, organization, "subscriptions"))
    return page(request, organization, "password.html", form=form, contact=contact)


@portal_view
@require_http_methods(["GET", "POST"])
def forgot(request: HttpRequest, organization: Organization) -> HttpResponse:
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        contact = contact_by_email(organization, form.cleaned_data["email"])
        if contact is not None:
            services.request_password(contact=contact)
        # The same answer either way: the page does not tell who is a contact.
        messages.success(request, _("If this address is registered, a new password is on its way."))
        return HttpResponseRedirect(portal_url(request, organization, "login"))
    return page(request, organization, "forgot.html", form=form)


@portal_view
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, organization: Organization) -> HttpResponse:
    form = RegistrationForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        services.register(
            organization=organization,
            email=form.cleaned_data["email"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            language=translation.get_language() or "en",
            groups=form.chosen_groups(),
            ip_address=client_ip(request),
        )
        messages.success(request, _("Thank you. Please check your mailbox."))
        return HttpResponseRedirect(portal_url(request, organization, "login"))
    return page(request, organization, "register.html", form=form)


@portal_view
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, organization: Organization, token: str) -> HttpResponse:
    """Double opt-in. A GET only shows a button: mail scanners that open links must not
    subscribe anybody."""
    try:
        membership_id = read_confirmation_token(token)
    except InvalidToken:
        return page(request, organization, "link_invalid.html", status=400)
    membership = get_object_or_404(
        Membership.objects.select_related("group", "contact"), pk=membership_id, contact__organization=organization
    )
    if request.method == "POST":
        membership = services.confirm_subscription(membership_id=membership.pk, ip_address=client_ip(request))
    with translation.override(membership.contact.language):
        return page(request, organization, "confirm.html", membership=membership)


@csrf_exempt  # authenticated by the signed token; RFC 8058 one-click POSTs carry no CSRF token
@portal_view
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, organization: Organization, token: str) -> HttpResponse:
    try:
        target = read_unsubscribe_token(token)
    except InvalidToken:
        return page(request, organization, "link_invalid.html", status=400)
    contact = Contact.objects.filter(pk=target.contact_id, organization=organization).first()
    if contact is None:
        raise Http404
    group = get_object_or_404(Group, pk=target.group_id, organization=organization) if target.group_id else None
    if request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click":
        _unsubscribe(request, contact, group, source="one-click unsubscribe", reason="")
        return HttpResponse("Unsubscribed.", content_type="text/plain")
    form = UnsubscribeForm(request.POST or None)
    done = False
    if request.method == "POST" and form.is_valid():
        _unsubscribe(request, contact, group, source="unsubscribe link", reason=form.cleaned_data["reason"])
        done = True
    with translation.override(contact.language):
        return page(request, organization, "unsubscribe.html", form=form, group=group, contact=contact, done=done)


def _unsubscribe(request: HttpRequest, contact: Contact, group: Group | None, *, source: str, reason: str) -> None:
    ip = client_ip(request)
    if group is None:
        services.unsubscribe_everything(contact=contact, source=source, reason=reason, ip_address=ip)
    else:
        services.unsubscribe(contact=contact, group=group, source=source, reason=reason, ip_address=ip)
