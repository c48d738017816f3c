from django.db import models
from django.utils.translation import gettext_lazy as _

from contacts.models import Organization


class MailDay(models.Model):
    """One organization's mails of one day before today, counted by status: the dashboard
    reads closed days from here and counts only today live (ops/dashboard.py). Statuses
    still change after the day (opened, bounced), so the last 30 days are recounted hourly."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    day = models.DateField(_("day"))
    counts = models.JSONField(_("mails by status"), default=dict)
    counted_at = models.DateTimeField(_("counted at"), auto_now=True)

    class Meta:
        verbose_name = _("mails of a day")
        verbose_name_plural = _("mails per day")
        constraints = [models.UniqueConstraint(fields=["organization", "day"], name="mail_day_once")]

    def __str__(self) -> str:
        return f"{self.organization} {self.day}"
