"""The suppression list moved to contacts (contacts 0011); its table stays."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0008_field_validators'),
        ('contacts', '0011_suppression'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name='Suppression')]),
    ]
