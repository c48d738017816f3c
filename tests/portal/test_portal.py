"""The preference center, page by page (the browser tests walk through it for real)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from automations.models import Event
from contacts import logins, services
from contacts.models import ConsentRecord, Group, LoginFailure, Membership
from contacts.tokens import make_confirmation_token, make_unsubscribe_token
from tests.factories import ContactFactory

PASSWORD = "Gr33n-Tea-Kettle"


@pytest.fixture
def erika(alice_org):
    contact = ContactFactory(organization=alice_org, email="erika@example.com", language="en")
    services.set_contact_password(contact=contact, password=PASSWORD)
    return contact


@pytest.fixture
def news(alice_org):
    return Group.objects.create(organization=alice_org, name="News", is_public=True)


def log_in(client, email="erika@example.com", password=PASSWORD, slug="alice"):
    return client.post(f"/portal/{slug}/login/", {"email": email, "password": password})


def test_login_with_the_right_password_opens_the_subscriptions(client, erika):
    response = log_in(client)
    assert response.status_code == 302
    assert response["Location"] == "/portal/alice/subscriptions/"
    assert client.get("/portal/alice/subscriptions/").status_code == 200
    assert Event.objects.filter(type="portal_login", contact=erika).exists()


def test_login_starts_a_new_session(client, erika):
    client.get("/portal/alice/login/")
    client.session["x"] = 1
    before = client.cookies.get("sessionid")
    log_in(client)
    assert client.cookies["sessionid"].value != (before.value if before else None)


def test_unknown_address_and_wrong_password_get_the_same_answer(client, erika):
    wrong = log_in(client, password="nope")
    unknown = log_in(client, email="nobody@example.com")
    assert wrong.status_code == unknown.status_code == 400
    message = "The e-mail address or the password is wrong."
    assert message in wrong.text and message in unknown.text


def test_pages_need_a_login(client, erika):
    for page in ("subscriptions", "profile", "password"):
        response = client.get(f"/portal/alice/{page}/")
        assert response.status_code == 302
        assert response["Location"] == "/portal/alice/login/"


def test_five_failures_lock_the_address_for_twenty_minutes(client, erika):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(logins.MAX_FAILURES):
            log_in(client, password="wrong")
        locked = log_in(client)  # even the right password
        assert "Too many failed attempts" in locked.text
        assert client.get("/portal/alice/subscriptions/").status_code == 302
    with time_machine.travel(start + timedelta(minutes=21), tick=False):
        assert log_in(client).status_code == 302
    assert not LoginFailure.objects.filter(email="erika@example.com").exists()


def test_failures_older_than_a_day_do_not_count(client, erika):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(logins.MAX_FAILURES - 1):
            log_in(client, password="wrong")
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        log_in(client, password="wrong")
        assert log_in(client).status_code == 302


def test_many_failures_from_one_ip_lock_that_ip(client, erika, alice_org):
    for i in range(logins.IP_MAX_FAILURES):
        LoginFailure.objects.create(organization=alice_org, email=f"guess{i}@example.com", ip_address="127.0.0.1")
    assert "Too many failed attempts" in log_in(client).text


def test_subscribe_and_unsubscribe_with_reason(client, erika, news):
    log_in(client)
    client.post("/portal/alice/subscriptions/", {f"group_{news.pk}": "on", "reason": ""})
    assert Membership.objects.get(contact=erika, group=news).state == "subscribed"
    client.post("/portal/alice/subscriptions/", {"reason": "Too many mails"})
    membership = Membership.objects.get(contact=erika, group=news)
    assert (membership.state, membership.reason) == ("unsubscribed", "Too many mails")
    assert list(
        Event.objects.filter(contact=erika, type__in=["subscribed", "unsubscribed"]).values_list("type", flat=True)
    ) == [
        "unsubscribed",
        "subscribed",
    ]
    consent = ConsentRecord.objects.filter(contact=erika).values_list("action", "ip_address", "source")
    assert set(consent) == {
        ("subscribed", "127.0.0.1", "preference center"),
        ("unsubscribed", "127.0.0.1", "preference center"),
    }


def test_private_and_other_organizations_groups_are_not_offered(client, erika, news, alice_org, charlie_org):
    Group.objects.create(organization=alice_org, name="Internal", is_public=False)
    Group.objects.create(organization=charlie_org, name="Charlie's news", is_public=True)
    log_in(client)
    page = client.get("/portal/alice/subscriptions/").text
    assert "News" in page and "Internal" not in page and "Charlie" not in page


def test_blacklisted_contact_cannot_resubscribe(client, erika, news):
    services.blacklist(contact=erika, group=news, reason="complaint")
    log_in(client)
    client.post("/portal/alice/subscriptions/", {f"group_{news.pk}": "on"})
    assert Membership.objects.get(contact=erika, group=news).state == "blacklisted"


def test_profile_edits_only_the_fields_the_organization_allows(client, erika, alice_org):
    alice_org.portal_editable_fields = ["first_name", "language"]
    alice_org.save()
    log_in(client)
    form = client.get("/portal/alice/profile/").context["form"]
    assert set(form.fields) == {"first_name", "language"}
    client.post(
        "/portal/alice/profile/",
        {"first_name": "Erika Maria", "language": "de", "last_name": "Hacker", "email": "x@evil.example"},
    )
    erika.refresh_from_db()
    assert (erika.first_name, erika.language, erika.last_name, erika.email) == (
        "Erika Maria",
        "de",
        "Muster",
        "erika@example.com",
    )
    event = Event.objects.get(type="profile_changed")
    assert sorted(event.payload["changed"]) == ["first_name", "language"]


def test_profile_attributes_are_validated(client, erika, alice_org):
    from contacts.models import AttributeDefinition

    AttributeDefinition.objects.create(organization=alice_org, key="shoe_size", label="Shoe size", type="number")
    alice_org.portal_editable_fields = ["shoe_size"]
    alice_org.save()
    log_in(client)
    response = client.post("/portal/alice/profile/", {"attr_shoe_size": "big"})
    assert response.status_code == 200
    assert response.context["form"].errors["attr_shoe_size"]
    client.post("/portal/alice/profile/", {"attr_shoe_size": "42"})
    erika.refresh_from_db()
    assert erika.attributes == {"shoe_size": 42}


def test_change_password_checks_the_old_one_and_the_validators(client, erika):
    log_in(client)
    bad = client.post("/portal/alice/password/", {"old_password": "wrong", "new_password1": "x", "new_password2": "x"})
    assert "not your current password" in bad.text
    weak = client.post(
        "/portal/alice/password/", {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert weak.context["form"].errors["new_password1"]
    ok = client.post(
        "/portal/alice/password/",
        {"old_password": PASSWORD, "new_password1": "Purple-Rain-1984", "new_password2": "Purple-Rain-1984"},
    )
    assert ok.status_code == 302
    erika.refresh_from_db()
    assert erika.check_password("Purple-Rain-1984") and not erika.check_password(PASSWORD)


def test_forgot_password_fires_the_event_without_telling_who_exists(client, erika):
    known = client.post("/portal/alice/forgot-password/", {"email": "ERIKA@example.com"}, follow=True)
    unknown = client.post("/portal/alice/forgot-password/", {"email": "ghost@example.com"}, follow=True)
    assert Event.objects.filter(type="password_requested").count() == 1
    assert Event.objects.get(type="password_requested").contact == erika
    message = "If this address is registered, a new password is on its way."
    assert message in known.text and message in unknown.text


def test_a_new_organization_answers_forgot_password_with_a_new_password(
    db, client, smtp_server, django_capture_on_commit_callbacks
):
    organization = services.create_organization(name="Fresh", slug="fresh")
    contact = ContactFactory(organization=organization, email="new@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/portal/fresh/forgot-password/", {"email": "new@example.com"})
    [mail] = smtp_server.messages
    password = re.search(r"^ {4}(\S{14})\s*$", mail.get_body(("plain",)).get_content(), re.MULTILINE).group(1)
    contact.refresh_from_db()
    assert contact.check_password(password)


def test_registration_creates_the_contact_and_subscribes(client, news, alice_org):
    client.post("/portal/alice/register/", {"email": "neu@example.com", "first_name": "Neu", f"group_{news.pk}": "on"})
    membership = Membership.objects.get(group=news, contact__email="neu@example.com")
    assert membership.state == "subscribed"
    types = set(Event.objects.filter(contact=membership.contact).values_list("type", flat=True))
    assert {"contact_created", "registered", "subscribed"} <= types


def test_registering_an_existing_address_mails_its_owner_and_says_nothing(
    client, erika, news, smtp_server, django_capture_on_commit_callbacks
):
    form = {"email": "ERIKA@example.com", "first_name": "Mallory", f"group_{news.pk}": "on"}
    new = {**form, "email": "new-person@example.com"}
    with django_capture_on_commit_callbacks(execute=True):
        answer_existing = client.post("/portal/alice/register/", form, follow=True)
        answer_new = client.post("/portal/alice/register/", new, follow=True)
        client.post("/portal/alice/register/", form)  # again: no second mail within the hour
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert csrf.sub("", answer_existing.content.decode()) == csrf.sub("", answer_new.content.decode())
    erika.refresh_from_db()
    assert erika.first_name != "Mallory"
    assert not Membership.objects.filter(contact=erika).exists()
    [mail] = [m for m in smtp_server.messages if m["To"] == "erika@example.com"]
    assert "already have an account" in mail["Subject"]
    assert "/portal/alice/login/" in mail.get_body(("plain",)).get_content()


def test_double_opt_in_counts_only_after_confirmation(
    client, erika, alice_org, smtp_server, django_capture_on_commit_callbacks
):
    group = Group.objects.create(organization=alice_org, name="Offers", is_public=True, double_opt_in=True)
    log_in(client)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/portal/alice/subscriptions/", {f"group_{group.pk}": "on"})
    membership = Membership.objects.get(contact=erika, group=group)
    assert membership.state == "pending"
    assert not Event.objects.filter(type="subscribed").exists()
    [mail] = smtp_server.messages
    link = re.search(r"http://\S+/portal/alice/confirm/\S+/", mail.get_body(("plain",)).get_content()).group(0)
    path = link.split("8000", 1)[1] if "8000" in link else "/" + link.split("/", 3)[3]
    anonymous = client.__class__()
    assert "Yes, subscribe me" in anonymous.get(path).text  # a GET (mail scanner) changes nothing
    assert Membership.objects.get(pk=membership.pk).state == "pending"
    anonymous.post(path)
    assert Membership.objects.get(pk=membership.pk).state == "subscribed"
    assert Event.objects.filter(type="subscribed", contact=erika).count() == 1
    actions = list(
        ConsentRecord.objects.filter(contact=erika, group=group).order_by("at", "id").values_list("action", flat=True)
    )
    assert actions == ["subscribe_requested", "confirmed"]


def test_confirmation_links_expire_and_are_checked(client, erika, alice_org):
    group = Group.objects.create(organization=alice_org, name="Offers", is_public=True, double_opt_in=True)
    membership = services.subscribe(contact=erika, group=group, source="test")
    token = make_confirmation_token(membership.pk)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert client.post(f"/portal/alice/confirm/{token}/").status_code == 400
    assert client.post(f"/portal/alice/confirm/{token}x/").status_code == 400
    assert client.post(f"/portal/charlie/confirm/{token}/").status_code == 404
    assert Membership.objects.get(pk=membership.pk).state == "pending"


def test_unsubscribe_link_works_without_login(client, erika, news):
    services.subscribe(contact=erika, group=news, source="test")
    url = f"/portal/alice/unsubscribe/{make_unsubscribe_token(erika.pk, news.pk)}/"
    assert "Stop sending" in client.get(url).text
    assert Membership.objects.get(contact=erika).state == "subscribed"
    response = client.post(url, {"reason": "moved"})
    assert "You are unsubscribed" in response.text
    assert Membership.objects.get(contact=erika).reason == "moved"


def test_rfc8058_one_click_unsubscribe_is_a_bare_post(erika, news):
    from django.test import Client

    services.subscribe(contact=erika, group=news, source="test")
    strict = Client(enforce_csrf_checks=True)
    url = f"/portal/alice/unsubscribe/{make_unsubscribe_token(erika.pk, news.pk)}/"
    response = strict.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert Membership.objects.get(contact=erika).state == "unsubscribed"
    assert ConsentRecord.objects.get(action="unsubscribed").source == "one-click unsubscribe"


def test_unsubscribe_from_everything(client, erika, news, alice_org):
    other = Group.objects.create(organization=alice_org, name="Events", is_public=True)
    services.subscribe(contact=erika, group=news, source="test")
    services.add_member(contact=erika, group=other)
    client.post(f"/portal/alice/unsubscribe/{make_unsubscribe_token(erika.pk)}/", {"reason": ""})
    assert set(Membership.objects.filter(contact=erika).values_list("state", flat=True)) == {"unsubscribed"}


def test_forged_or_foreign_unsubscribe_links_do_nothing(client, erika, news, charlie_org):
    services.subscribe(contact=erika, group=news, source="test")
    token = make_unsubscribe_token(erika.pk, news.pk)
    assert client.post(f"/portal/alice/unsubscribe/{token[:-2]}xx/").status_code == 400
    assert client.post(f"/portal/charlie/unsubscribe/{token}/").status_code == 404
    assert Membership.objects.get(contact=erika).state == "subscribed"


def test_charlie_cannot_use_an_alice_session_in_his_portal(client, erika, charlie_org):
    log_in(client)
    assert client.get("/portal/charlie/subscriptions/").status_code == 302
    assert client.get("/portal/nosuchorg/login/").status_code == 404


def test_alice_contacts_cannot_log_in_to_charlies_portal(client, erika, charlie_org):
    assert log_in(client, slug="charlie").status_code == 400


def test_own_host_name_serves_the_organizations_portal(client, erika, alice_org, settings):
    settings.ALLOWED_HOSTS = ["prefs.alice.example", "testserver"]
    alice_org.portal_host = "prefs.alice.example"
    alice_org.save()
    response = client.post(
        "/portal/login/", {"email": "erika@example.com", "password": PASSWORD}, HTTP_HOST="prefs.alice.example"
    )
    assert response.status_code == 302
    assert response["Location"] == "/portal/subscriptions/"
    assert client.get("/portal/login/", HTTP_HOST="testserver").status_code == 404


def test_forms_have_csrf_protection(erika):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/portal/alice/login/", {"email": "erika@example.com", "password": PASSWORD}).status_code == 403


def test_german_contacts_see_german_pages(client, erika):
    erika.language = "de"
    erika.save()
    log_in(client)
    assert "Ihre Abonnements" in client.get("/portal/alice/subscriptions/").text


def test_old_login_failures_are_purged_by_the_hourly_schedule(alice_org):
    from django_q.models import Schedule

    from contacts.tasks import purge_login_failures

    assert Schedule.objects.filter(func="contacts.tasks.purge_login_failures", schedule_type="H").exists()
    with time_machine.travel(timezone.now() - timedelta(hours=25)):
        LoginFailure.objects.create(organization=alice_org, email="old@example.com")
    LoginFailure.objects.create(organization=alice_org, email="new@example.com")
    assert purge_login_failures() == 1
    assert list(LoginFailure.objects.values_list("email", flat=True)) == ["new@example.com"]


@pytest.mark.parametrize("host", ["http://bad host/", "preferences.example.com/path", "-bad-.example.com"])
def test_an_organizations_own_host_name_must_be_a_host_name(alice_org, host):
    from django.core.exceptions import ValidationError

    alice_org.portal_host = host
    with pytest.raises(ValidationError, match="portal_host"):
        alice_org.full_clean()
    alice_org.portal_host = "preferences.example.com"
    alice_org.full_clean()


def test_a_subscription_waiting_for_confirmation_says_so(client, erika, alice_org):
    group = Group.objects.create(organization=alice_org, name="Offers", is_public=True, double_opt_in=True)
    Membership.objects.create(contact=erika, group=group, state=Membership.State.PENDING)
    log_in(client)
    page = client.get("/portal/alice/subscriptions/").text
    assert "Waiting for your confirmation" in page
    assert f'aria-describedby="id_group_{group.pk}_helptext"' in page
    assert f'id="id_group_{group.pk}_helptext"' in page  # the description the checkbox points at exists


def test_a_new_password_by_mail_lifts_the_lockout_of_that_address(
    db, client, smtp_server, django_capture_on_commit_callbacks
):
    organization = services.create_organization(name="Fresh", slug="fresh")
    contact = ContactFactory(organization=organization, email="new@example.com")
    services.set_contact_password(contact=contact, password=PASSWORD)
    for _ in range(logins.MAX_FAILURES):
        log_in(client, email="new@example.com", password="wrong", slug="fresh")
    LoginFailure.objects.create(organization=organization, email="other@example.com", ip_address="10.0.0.1")
    assert "Too many failed attempts" in log_in(client, email="new@example.com", slug="fresh").text
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/portal/fresh/forgot-password/", {"email": "new@example.com"})
    [mail] = smtp_server.messages
    password = re.search(r"^ {4}(\S{14})\s*$", mail.get_body(("plain",)).get_content(), re.MULTILINE).group(1)
    assert log_in(client, email="new@example.com", password=password, slug="fresh").status_code == 302
    assert LoginFailure.objects.filter(email="other@example.com").exists()  # only that address


def test_a_visitor_switches_the_language_before_logging_in(client, erika):
    page = client.get("/portal/alice/login/").text
    assert 'class="language-switch"' in page and 'value="de"' in page
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/portal/alice/login/"})
    assert response.status_code == 302 and response["Location"] == "/portal/alice/login/"
    german = client.get("/portal/alice/login/").text
    assert 'lang="de"' in german and "Passwort vergessen?" in german


def test_a_logged_in_contact_sees_no_language_switch(client, erika):
    log_in(client)
    assert 'class="language-switch"' not in client.get("/portal/alice/subscriptions/").text
