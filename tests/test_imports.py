"""Contact CSV import (streamed in chunks, previewed, reported per row) and export."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from automations.models import Event
from contacts import imports, services
from contacts.models import AttributeDefinition, Contact, ContactImport, Group, Membership

HEADER = "email,first_name,last_name,language,tags,groups,attr:score\n"


@pytest.fixture
def setup(alice_org):
    AttributeDefinition.objects.create(organization=alice_org, key="score", label="Score", type="number")
    Group.objects.create(organization=alice_org, name="News")
    return alice_org


def upload(org, text: str, name="contacts.csv", user=None) -> ContactImport:
    return imports.create_import(organization=org, file_name=name, binary=io.BytesIO(text.encode()), user=user)


def test_preview_shows_what_would_happen_and_saves_nothing(setup):
    services.create_contact(organization=setup, email="known@example.com")
    contact_import = upload(
        setup,
        HEADER
        + "new@example.com,New,Person,de,vip,News,10\n"
        + "KNOWN@example.com,Known,,en,,,\n"
        + "broken,X,,en,,,\n"
        + "bad@example.com,Bad,,en,,Nope,lots\n",
    )
    rows = contact_import.preview["rows"]
    assert [(r["line"], r["action"]) for r in rows] == [(2, "new"), (3, "update"), (4, "invalid"), (5, "invalid")]
    assert "email" in rows[2]["errors"]
    assert set(rows[3]["errors"]) == {"attr:score", "groups"}
    assert Contact.objects.filter(organization=setup).count() == 1
    assert contact_import.total_rows == 4


def test_import_upserts_by_email_and_reports_bad_rows_by_line(setup, django_capture_on_commit_callbacks):
    known = services.create_contact(organization=setup, email="known@example.com", first_name="Old")
    news = Group.objects.get(name="News")
    services.unsubscribe(contact=known, group=news, source="test")
    contact_import = upload(
        setup,
        HEADER
        + 'new@example.com,New,Person,de,"vip, Customer",News,10\n'
        + "KNOWN@example.com,Known,,en,,News,\n"
        + "bad@example.com,Bad,,en,,,lots\n",
    )
    with django_capture_on_commit_callbacks(execute=True):
        imports.start_import(contact_import)
    contact_import.refresh_from_db()
    assert contact_import.status == ContactImport.Status.FINISHED
    assert (contact_import.created_count, contact_import.updated_count, contact_import.error_count) == (1, 1, 1)
    assert contact_import.errors == [{"line": 4, "errors": {"attr:score": ["Enter a number."]}}]
    new = Contact.objects.get(email="new@example.com")
    assert (new.first_name, new.language, new.attributes) == ("New", "de", {"score": 10})
    assert sorted(new.tags.values_list("name", flat=True)) == ["Customer", "vip"]
    assert Membership.objects.get(contact=new, group=news).state == "member"
    known.refresh_from_db()
    assert known.first_name == "Known"
    assert Membership.objects.get(contact=known).state == "unsubscribed"  # an import never undoes an opt-out
    assert not Contact.objects.filter(email="bad@example.com").exists()
    event = Event.objects.get(type="contact_import_finished")
    assert event.scope == "S"
    assert event.payload | {"import": 0} == {
        "import": 0, "file": "contacts.csv", "rows": 3, "created": 1, "updated": 1, "unchanged": 0, "errors": 1,
    }  # fmt: skip


def test_a_large_file_is_stored_in_chunks_and_a_restarted_import_skips_done_chunks(setup, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 10)
    lines = "".join(f"person{i}@example.com,P{i},,en,,,{i}\n" for i in range(35))
    contact_import = upload(setup, HEADER + lines)
    assert contact_import.total_rows == 35
    assert list(contact_import.chunks.values_list("first_line", flat=True)) == [2, 12, 22, 32]
    ContactImport.objects.filter(pk=contact_import.pk).update(status=ContactImport.Status.QUEUED)

    calls = []
    original = imports._import_chunk

    def crash_after_two(*args):
        if len(calls) == 2:
            raise RuntimeError("worker died")
        calls.append(args)
        original(*args)

    monkeypatch.setattr(imports, "_import_chunk", crash_after_two)
    with pytest.raises(RuntimeError):
        imports.run_import(contact_import.pk)
    assert Contact.objects.count() == 20
    monkeypatch.setattr(imports, "_import_chunk", original)
    ContactImport.objects.filter(pk=contact_import.pk).update(status=ContactImport.Status.QUEUED)
    imports.run_import(contact_import.pk)
    contact_import.refresh_from_db()
    assert (contact_import.status, contact_import.processed_rows, contact_import.created_count) == ("finished", 35, 35)
    assert Contact.objects.count() == 35


def test_semicolons_and_a_byte_order_mark_are_understood(setup):
    contact_import = upload(setup, "\ufeffemail;first_name\nsemi@example.com;Semi\n")
    assert contact_import.preview["rows"] == [{"line": 2, "action": "new", "email": "semi@example.com"}]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"first_name\nX\n", "no column"),
        (b"", "empty"),
        (b"email\n\xff\xfe\x00bad\n", "not UTF-8 text"),
        (b"email\n", "no rows"),
        (b"email,email\na@example.com,b@example.com\n", "appear twice: email"),
    ],
)
def test_unusable_files_are_refused_with_a_reason(setup, content, message):
    with pytest.raises(imports.ImportFileError, match=message):
        imports.create_import(organization=setup, file_name="x.csv", binary=io.BytesIO(content), user=None)
    assert not ContactImport.objects.exists()


def test_admin_upload_preview_and_start(client, alice, setup, django_capture_on_commit_callbacks):
    client.force_login(alice)
    file = SimpleUploadedFile("c.csv", (HEADER + "admin@example.com,A,,en,,,5\n").encode(), content_type="text/csv")
    response = client.post("/admin/contacts/contactimport/add/", {"file": file})
    assert response.status_code == 302
    contact_import = ContactImport.objects.get()
    assert contact_import.organization == alice.organization and contact_import.created_by == alice
    page = client.get(response["Location"])
    assert "Import all rows" in page.text and "admin@example.com" in page.text
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/contacts/contactimport/{contact_import.pk}/start/")
    assert Contact.objects.filter(email="admin@example.com", organization=alice.organization).exists()


def test_admin_upload_error_is_shown_on_the_form(client, alice, setup):
    client.force_login(alice)
    file = SimpleUploadedFile("c.csv", b"name\nX\n", content_type="text/csv")
    response = client.post("/admin/contacts/contactimport/add/", {"file": file})
    assert response.status_code == 400
    assert "no column" in response.text


def test_charlie_cannot_start_alices_import(client, charlie, setup):
    contact_import = upload(setup, HEADER + "x@example.com,X,,en,,,\n")
    client.force_login(charlie)
    assert client.post(f"/admin/contacts/contactimport/{contact_import.pk}/start/").status_code == 404
    assert ContactImport.objects.get().status == "uploaded"


def test_export_writes_the_same_columns_the_import_reads(client, alice, setup, charlie_org):
    contact = services.create_contact(
        organization=setup, email="out@example.com", first_name="Out", attributes={"score": 3}
    )
    services.add_tag(contact=contact, name="vip")
    services.add_member(contact=contact, group=Group.objects.get(name="News"))
    services.create_contact(organization=charlie_org, email="theirs@example.com")
    client.force_login(alice)
    response = client.post(
        "/admin/contacts/contact/",
        {"action": "export_admin_action", "_selected_action": [c.pk for c in Contact.objects.all()]},
    )
    if response.status_code == 200 and "format" in response.text:  # the export form asks for the format
        response = client.post(
            "/admin/contacts/contact/export/?",
            {
                "format": "0",
                "export_items": [c.pk for c in Contact.objects.all()],
                **{f"contactresource_{f}": "on" for f in ("email", "first_name", "tags", "groups", "attr:score")},
            },
        )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["email"] for r in rows] == ["out@example.com"]
    assert (rows[0]["tags"], rows[0]["groups"], rows[0]["attr:score"]) == ("vip", "News", "3")


def test_the_same_address_twice_in_one_file_is_one_contact(setup, django_capture_on_commit_callbacks):
    contact_import = upload(setup, HEADER + "twice@example.com,First,,en,a,,\nTWICE@example.com,Second,,en,b,,\n")
    with django_capture_on_commit_callbacks(execute=True):
        imports.start_import(contact_import)
    contact = Contact.objects.get(email__iexact="twice@example.com")
    assert contact.first_name == "Second"
    assert sorted(contact.tags.values_list("name", flat=True)) == ["a", "b"]


def test_host_admin_chooses_the_organization_of_an_import(client, host_admin, setup):
    client.force_login(host_admin)
    file = SimpleUploadedFile("c.csv", b"email\nhost@example.com\n", content_type="text/csv")
    missing = client.post("/admin/contacts/contactimport/add/", {"file": file})
    assert missing.status_code == 400 and "Choose the organization" in missing.text
    file.seek(0)
    response = client.post("/admin/contacts/contactimport/add/", {"file": file, "organization": setup.pk})
    assert response.status_code == 302
    assert ContactImport.objects.get().organization == setup


def test_an_import_runs_once_however_often_it_is_started(client, alice, setup, django_capture_on_commit_callbacks):
    contact_import = upload(setup, HEADER + "once@example.com,Once,,en,,,\n")
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/contacts/contactimport/{contact_import.pk}/start/")
    again = client.post(f"/admin/contacts/contactimport/{contact_import.pk}/start/", follow=True)
    assert "already been started" in again.text
    assert Event.objects.filter(type="contact_import_finished").count() == 1


def test_a_chunk_costs_a_few_queries_however_many_rows_it_holds(setup, django_assert_max_num_queries):
    for i in range(0, 300, 3):
        services.create_contact(organization=setup, email=f"person{i}@example.com")
    lines = "".join(f'person{i}@example.com,P{i},,de,"vip, t{i % 7}",News,{i}\n' for i in range(300))
    contact_import = upload(setup, HEADER + lines + "broken,X,,en,,,\n")
    ContactImport.objects.filter(pk=contact_import.pk).update(status=ContactImport.Status.QUEUED)
    with django_assert_max_num_queries(35):  # the whole import of one chunk: not a query per row
        imports.run_import(contact_import.pk)
    contact_import.refresh_from_db()
    counts = (contact_import.created_count, contact_import.updated_count, contact_import.error_count)
    assert counts == (200, 100, 1)
    assert Contact.objects.get(email="person3@example.com").first_name == "P3"
    assert Membership.objects.filter(group__name="News", state="member").count() == 300
    assert Contact.tags.through.objects.count() == 600


def test_an_unchanged_row_is_counted_as_unchanged_and_the_next_row_keeps_its_line(setup):
    services.create_contact(organization=setup, email="same@example.com", first_name="Same", language="en")
    contact_import = upload(setup, "email,first_name,language\nsame@example.com,Same,en\nnew@example.com,New,xx\n")
    assert [r["action"] for r in contact_import.preview["rows"]] == ["skip", "invalid"]
    ContactImport.objects.filter(pk=contact_import.pk).update(status=ContactImport.Status.QUEUED)
    imports.run_import(contact_import.pk)
    contact_import.refresh_from_db()
    assert (contact_import.skipped_count, contact_import.error_count) == (1, 1)
    assert [e["line"] for e in contact_import.errors] == [3]
    assert set(contact_import.errors[0]["errors"]) == {"language"}


def test_a_tag_name_that_could_not_be_stored_is_an_error_of_its_row(setup):
    contact_import = upload(setup, HEADER + f"long@example.com,L,,en,{'x' * 101},,\n")
    [row] = contact_import.preview["rows"]
    assert (row["action"], set(row["errors"])) == ("invalid", {"tags"})
