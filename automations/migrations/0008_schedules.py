from django.db import migrations

SCHEDULES = [
    ("automations.tasks.purge_old_runs", "Purge finished runs past their retention", {"schedule_type": "D"}),
    ("automations.tasks.send_failure_digests", "Mail failed runs to organization admins", {"schedule_type": "I", "minutes": 10}),
]


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for func, name, options in SCHEDULES:
        Schedule.objects.get_or_create(func=func, defaults={"name": name, "repeats": -1, **options})


def delete(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func__in=[func for func, _, _ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("automations", "0007_run_replays_and_alerts"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(create, delete)]
