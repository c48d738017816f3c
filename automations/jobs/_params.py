"""Parameter forms shared by several jobs."""

from django import forms
from django.utils.translation import gettext_lazy as _

from automations.jobs.base import JobParameters
from contacts.models import Group


class GroupParameters(JobParameters):
    group = forms.ModelChoiceField(label=_("group"), queryset=Group.objects.all())


class GroupReasonParameters(GroupParameters):
    reason = forms.CharField(label=_("reason"), required=False, max_length=500)


class ReasonParameters(JobParameters):
    reason = forms.CharField(label=_("reason"), required=False, max_length=500)


class TagParameters(JobParameters):
    tag = forms.CharField(label=_("tag"), max_length=100)
