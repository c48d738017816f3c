"""The suppression list moves from notifications to contacts, beside consent. Only the
model state moves: the table keeps its name and its rows."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contacts', '0010_field_validators'),
        ('notifications', '0008_field_validators'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.CreateModel(
            name='Suppression',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('address', models.EmailField(help_text='Stored in lower case.', max_length=320, verbose_name='address')),
                ('reason', models.CharField(choices=[('hard_bounce', 'hard bounce'), ('complaint', 'spam complaint'), ('unsubscribe', 'unsubscribed'), ('manual', 'added manually')], default='manual', max_length=16, verbose_name='reason')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='contacts.organization', verbose_name='organization')),
            ],
            options={
                'verbose_name': 'suppressed address',
                'verbose_name_plural': 'suppression list',
                'db_table': 'notifications_suppression',
                'ordering': ['-created_at', '-id'],
                'constraints': [models.UniqueConstraint(fields=('organization', 'address'), name='one_suppression_per_address', violation_error_message='This address is on the suppression list already.')],
            },
        ),
        ])
    ]
