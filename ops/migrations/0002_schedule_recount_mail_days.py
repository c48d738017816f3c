from django.db import migrations


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        func="ops.tasks.recount_mail_days",
        defaults={"name": "Recount the dashboard's mails per day", "schedule_type": "H", "repeats": -1},
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func="ops.tasks.recount_mail_days").delete()


class Migration(migrations.Migration):
    dependencies = [("ops", "0001_mail_day"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
