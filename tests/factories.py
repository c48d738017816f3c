"""Factories always take an organization: nothing in Engage exists outside one."""

import factory

from automations.models import Automation
from contacts.models import Contact, Organization, User
from engage.events import EventType


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = User.Role.ADMIN
    is_staff = True
    password = factory.django.Password("correct horse battery staple")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    first_name = "Erika"
    last_name = "Muster"


class AutomationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Automation

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Automation {n}")
    event_type = EventType.CONTACT_CREATED
    job_type = "send_password_to_contact"
    target = Automation.Target.EVENT
