from django.db import migrations


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        func="contacts.tasks.purge_login_failures",
        defaults={"name": "Purge old preference-center login failures", "schedule_type": "H", "repeats": -1},
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func="contacts.tasks.purge_login_failures").delete()


class Migration(migrations.Migration):
    dependencies = [("contacts", "0006_contact_erased_at"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
