from django.db import migrations


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        func="api.tasks.purge_api_records",
        defaults={"name": "Purge old Idempotency-Keys and expired API tokens", "schedule_type": "H", "repeats": -1},
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func="api.tasks.purge_api_records").delete()


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
