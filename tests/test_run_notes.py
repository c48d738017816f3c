"""A run's note is stored in English and shown to a marketer in their own language."""

from __future__ import annotations

import html

from django.utils import translation

from automations.jobs import registry
from automations.models import Run
from engage import notes
from tests.admin.test_runs_list import make_run

SKIP = "The contact does not match the selection “Customers” (checked when the run was due)."
SKIP_DE = "Der Kontakt passt nicht zur Selektion „Customers“ (geprüft, als der Lauf fällig war)."


def test_a_skip_note_is_german_in_the_german_admin_and_english_in_the_api(client, bob):
    run = make_run(bob.organization, Run.Status.SKIPPED, SKIP)
    client.force_login(bob)

    with translation.override("de"):
        listed = client.get("/admin/automations/run/", HTTP_ACCEPT_LANGUAGE="de").text
        shown = client.get(f"/admin/automations/run/{run.pk}/change/", HTTP_ACCEPT_LANGUAGE="de").text
    english = client.get(f"/admin/automations/run/{run.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").text

    assert "Der Kontakt passt nicht zur Selektion" in html.unescape(listed)
    assert SKIP_DE in html.unescape(shown)
    assert SKIP in html.unescape(english)
    assert Run.objects.get(pk=run.pk).error == SKIP


def test_a_wrapped_note_is_translated_around_and_inside_and_a_servers_words_stay():
    stored = "Could not connect to crm.example.com: ConnectTimeout (attempt 2, retrying in 120 s)"
    with translation.override("de"):
        shown = notes.shown(stored)
    assert shown == "Keine Verbindung zu crm.example.com: ConnectTimeout (Versuch 2, neuer Versuch in 120 s)"


def test_words_no_sentence_knows_are_shown_as_written():
    with translation.override("de"):
        assert notes.shown("SMTP 550: 5.1.1 mailbox unknown") == "SMTP 550: 5.1.1 mailbox unknown"
        assert notes.shown("") == ""


def test_a_chain_of_two_notes_is_translated_sentence_by_sentence():
    limit = (
        "“Automation finished” was not fired: 10 automations already triggered each other in a row "
        "(limit 10). Do some automations start each other in a loop?"
    )
    with translation.override("de"):
        shown = notes.shown(SKIP + limit)
    assert shown.startswith(SKIP_DE)
    assert "„Automation beendet“ wurde nicht ausgelöst: 10 Automationen" in shown


def test_a_model_name_in_a_note_is_translated_too():
    stored = notes.note("The %(thing)s chosen for this job no longer exists.", thing=str(Run._meta.verbose_name))
    with translation.override("de"):
        shown = notes.shown(stored)
    assert shown == "Das für diesen Job gewählte Objekt (Ausführung) gibt es nicht mehr."


def test_every_sentence_a_note_is_made_of_has_a_german_translation():
    registry()  # every app's jobs, and with them their sentences
    with translation.override("de"):
        missing = [text for text in notes._known if translation.gettext(text) == text]
    assert notes._known, "no sentence is known"
    assert missing == []
