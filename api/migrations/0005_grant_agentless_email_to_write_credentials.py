"""Keys and OAuth clients that could send agentless e-mail before it needed a permission
of its own (every write credential) keep that permission, so that no integration breaks;
credentials made from now on need it granted explicitly."""

from django.db import migrations


def grant(apps, schema_editor):
    for name in ("ApiKey", "OAuthClient"):
        apps.get_model("api", name).objects.filter(scope="write").update(agentless_email=True)


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0004_agentless_email_permission"),
    ]

    operations = [
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
