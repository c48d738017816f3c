"""A conversation's 30 days run from its original mail (its created_at). Conversations
started by a reply to a mail sent outside any conversation were dated from the reply:
date each one from its first mail where that is earlier."""

from django.db import migrations
from django.db.models import Min, OuterRef, Subquery


def date_from_the_first_mail(apps, schema_editor):
    Conversation = apps.get_model("notifications", "Conversation")
    OutboundMessage = apps.get_model("notifications", "OutboundMessage")
    first = (
        OutboundMessage.objects.filter(conversation=OuterRef("pk"))
        .values("conversation")
        .annotate(first=Min("created_at"))
        .values("first")
    )
    for pk, created_at, first_mail_at in (
        Conversation.objects.annotate(first_mail_at=Subquery(first)).values_list("pk", "created_at", "first_mail_at")
    ):
        if first_mail_at is not None and first_mail_at < created_at:
            Conversation.objects.filter(pk=pk).update(created_at=first_mail_at)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0009_delete_suppression"),
    ]

    operations = [
        migrations.RunPython(date_from_the_first_mail, migrations.RunPython.noop),
    ]
