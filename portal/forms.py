from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from contacts.attributes import clean_value, form_field
from contacts.models import AttributeDefinition, Contact, Group, Membership, Organization
from contacts.validators import validate_single_line


class LoginForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label=_("New password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, contact: Contact, *args, **kwargs):
        self.contact = contact
        super().__init__(*args, **kwargs)

    def clean_old_password(self) -> str:
        password = self.cleaned_data["old_password"]
        if not self.contact.check_password(password):
            raise ValidationError(_("This is not your current password."))
        return password

    def clean(self):
        cleaned = super().clean()
        new1, new2 = cleaned.get("new_password1"), cleaned.get("new_password2")
        if new1 and new2 and new1 != new2:
            self.add_error("new_password2", _("The two passwords differ."))
        elif new1:
            try:
                validate_password(new1, user=self.contact)
            except ValidationError as exc:
                self.add_error("new_password1", exc)
        return cleaned


class ProfileForm(forms.ModelForm):
    """The standard fields the organization lets contacts edit, plus its editable attributes."""

    class Meta:
        model = Contact
        fields = list(Organization.EDITABLE_FIELDS)

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        editable = set(organization.portal_editable_fields or [])
        for name in list(self.fields):
            if name not in editable:
                del self.fields[name]
        self.attribute_definitions = {
            d.key: d for d in AttributeDefinition.objects.filter(organization=organization, key__in=editable)
        }
        for key, definition in self.attribute_definitions.items():
            self.fields[f"attr_{key}"] = attribute_field(definition, self.instance.attributes.get(key))

    def standard_changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in Organization.EDITABLE_FIELDS if name in self.fields}

    def attribute_changes(self) -> dict:
        values = {}
        for key, definition in self.attribute_definitions.items():
            try:
                values[key] = clean_value(definition, self.cleaned_data.get(f"attr_{key}"))
            except ValidationError as exc:
                self.add_error(f"attr_{key}", exc)
        return values


def attribute_field(definition: AttributeDefinition, initial) -> forms.Field:
    """The admin's typed field, except that a yes/no attribute is a checkbox here."""
    if definition.type == AttributeDefinition.Type.BOOLEAN:
        return forms.BooleanField(label=definition.label, required=False, initial=bool(initial))
    field = form_field(definition)
    field.initial = initial
    return field


class SubscriptionsForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you unsubscribing? (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, contact: Contact, **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = list(Group.objects.filter(organization=contact.organization, is_public=True))
        states = dict(Membership.objects.filter(contact=contact).values_list("group_id", "state"))
        self.states = states
        for group in self.groups:
            state = states.get(group.pk)
            help_text = group.description
            if state == Membership.State.PENDING:
                waiting = _("Waiting for your confirmation: please click the link in the mail we sent you.")
                help_text = f"{help_text} {waiting}".strip()
            field = forms.BooleanField(
                label=group.name,
                required=False,
                help_text=help_text,
                initial=state in (*Membership.RECEIVING, Membership.State.PENDING),
                disabled=state == Membership.State.BLACKLISTED,
            )
            self.fields[f"group_{group.pk}"] = field
        self.order_fields([f"group_{g.pk}" for g in self.groups] + ["reason"])

    def wanted(self) -> dict[Group, bool]:
        return {g: bool(self.cleaned_data.get(f"group_{g.pk}")) for g in self.groups}


class RegistrationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    first_name = forms.CharField(
        label=_("First name"), max_length=100, required=False, validators=[validate_single_line]
    )
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False, validators=[validate_single_line])

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = list(Group.objects.filter(organization=organization, is_public=True))
        for group in self.groups:
            self.fields[f"group_{group.pk}"] = forms.BooleanField(
                label=group.name, required=False, help_text=group.description
            )

    def chosen_groups(self) -> list[Group]:
        return [g for g in self.groups if self.cleaned_data.get(f"group_{g.pk}")]


class UnsubscribeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you unsubscribing? (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
