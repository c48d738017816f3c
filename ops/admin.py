"""The admin pages other apps register (django-q2's queue, schedules and results; auth's groups),
re-registered on the admin theme's ModelAdmin so that they look like the rest of the admin."""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group
from django_q import admin as queue_admin
from django_q.models import Failure, OrmQ, Schedule, Success
from unfold.admin import ModelAdmin


def _themed(model, queue_model_admin) -> None:
    if not admin.site.is_registered(model):
        return
    admin.site.unregister(model)
    themed = type(queue_model_admin.__name__, (queue_model_admin, ModelAdmin), {})
    admin.site.register(model, themed)


for _model, _model_admin in [
    (Schedule, queue_admin.ScheduleAdmin),
    (Success, queue_admin.TaskAdmin),
    (Failure, queue_admin.FailAdmin),
    (OrmQ, queue_admin.QueueAdmin),
    (Group, auth_admin.GroupAdmin),
]:
    _themed(_model, _model_admin)
