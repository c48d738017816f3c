from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from api import services
from api.filters import ContactFilter, id_or_404
from api.serializers import (
    AttributeDefinitionSerializer,
    BulkContactsSerializer,
    BulkResultSerializer,
    ContactSerializer,
    ContactUpsertSerializer,
    GroupSerializer,
    MembershipChangeSerializer,
    MembershipSerializer,
    TagNameSerializer,
    TagSerializer,
    TransactionSerializer,
)
from api.views.base import ApiModelViewSet, ApiViewSet
from contacts import services as contact_services
from contacts.models import AttributeDefinition, Contact, Group, Membership, Tag, Transaction
from contacts.selectors import contact_by_email
from engage.lib.remote import client_ip

CONTACT_EXAMPLE = OpenApiExample(
    "A contact",
    value={
        "email": "jana.mueller@example.de",
        "first_name": "Jana",
        "last_name": "Müller",
        "language": "de",
        "attributes": {"shoe_size": 38},
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(summary="List contacts", tags=["contacts"]),
    retrieve=extend_schema(summary="Get a contact", tags=["contacts"]),
    create=extend_schema(summary="Create a contact", tags=["contacts"], examples=[CONTACT_EXAMPLE]),
    update=extend_schema(summary="Replace a contact's fields", tags=["contacts"]),
    partial_update=extend_schema(summary="Change some of a contact's fields", tags=["contacts"]),
    destroy=extend_schema(summary="Delete a contact", tags=["contacts"]),
)
class ContactViewSet(ApiModelViewSet):
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    ordering_fields = ["email", "created_at", "updated_at", "id"]
    ordering = ["id"]

    def get_queryset(self):
        return Contact.objects.filter(organization=self.organization).prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name"))
        )

    def perform_create(self, serializer) -> None:
        serializer.instance = contact_services.create_contact(
            organization=self.organization, source=services.SOURCE, **serializer.validated_data
        )

    def perform_update(self, serializer) -> None:
        serializer.instance = contact_services.save_contact(
            contact=serializer.instance, data=serializer.validated_data, source=services.SOURCE
        )

    @extend_schema(
        summary="Create or update a contact by e-mail address",
        tags=["contacts"],
        request=ContactUpsertSerializer,
        responses={200: ContactSerializer, 201: ContactSerializer},
        parameters=[OpenApiParameter("email", str, OpenApiParameter.PATH, description="The contact's address.")],
        examples=[CONTACT_EXAMPLE],
    )
    @action(detail=False, methods=["put"], url_path=r"by-email/(?P<email>[^/]+)")
    def by_email(self, request, email: str):
        data = request.data if isinstance(request.data, dict) else {}
        serializer = ContactUpsertSerializer(
            data={**data, "email": data.get("email", email)}, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["email"].lower() != email.lower():
            raise serializers.ValidationError({"email": ["Does not match the address in the URL."]})
        contact, created = contact_services.upsert_contact(
            organization=self.organization, data=serializer.validated_data, source=services.SOURCE
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(ContactSerializer(contact, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        summary="Get a contact by e-mail address",
        tags=["contacts"],
        responses={200: ContactSerializer},
        parameters=[OpenApiParameter("email", str, OpenApiParameter.PATH, description="The contact's address.")],
        description="The address is compared case-insensitively; 404 if your organization has no such contact.",
    )
    @by_email.mapping.get
    def get_by_email(self, request, email: str):
        contact = contact_by_email(self.organization, email)
        if contact is None:
            raise Http404
        return Response(ContactSerializer(contact, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Create or update up to 1,000 contacts by e-mail address",
        tags=["contacts"],
        request=BulkContactsSerializer,
        responses={200: BulkResultSerializer},
        description="All or nothing: if one contact is invalid, none is saved and `errors` names it "
        "(e.g. `contacts.3.email`).",
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        serializer = BulkContactsSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        results = services.upsert_contacts(organization=self.organization, items=serializer.validated_data["contacts"])
        created = sum(1 for _contact, new in results if new)
        body = {
            "created": created,
            "updated": len(results) - created,
            "contacts": ContactSerializer([c for c, _new in results], many=True).data,
        }
        return Response(body)

    @extend_schema(
        summary="Tag a contact", tags=["contacts"], request=TagNameSerializer, responses={200: TagSerializer}
    )
    @action(detail=True, methods=["post"], url_path="tags")
    def add_tag(self, request, pk=None):
        contact = self.get_object()
        serializer = TagNameSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tag = contact_services.add_tag(contact=contact, name=serializer.validated_data["name"])
        return Response(TagSerializer(tag).data)

    @extend_schema(summary="Remove a tag from a contact", tags=["contacts"], responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"tags/(?P<name>[^/]+)")
    def remove_tag(self, request, pk=None, name: str = ""):
        contact = self.get_object()
        if not contact_services.remove_tag(contact=contact, name=name):
            raise serializers.ValidationError({"name": ["The contact has no such tag."]})
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="List a contact's transactions", tags=["contacts"]),
    create=extend_schema(summary="Record a transaction of a contact", tags=["contacts"]),
)
class TransactionViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, ApiViewSet):
    serializer_class = TransactionSerializer
    ordering_fields = ["occurred_at", "id"]
    ordering = ["-occurred_at", "-id"]

    def contact(self) -> Contact:
        return get_object_or_404(Contact, organization=self.organization, pk=id_or_404(self.kwargs["contact_pk"]))

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Transaction.objects.none()
        return Transaction.objects.filter(organization=self.organization, contact=self.contact())

    def perform_create(self, serializer) -> None:
        serializer.instance = contact_services.add_transaction(contact=self.contact(), **serializer.validated_data)


@extend_schema_view(
    list=extend_schema(summary="List custom attributes", tags=["attributes"]),
    retrieve=extend_schema(summary="Get a custom attribute", tags=["attributes"]),
    create=extend_schema(summary="Define a custom attribute", tags=["attributes"]),
    update=extend_schema(summary="Change a custom attribute", tags=["attributes"]),
    partial_update=extend_schema(summary="Change a custom attribute", tags=["attributes"]),
    destroy=extend_schema(summary="Delete a custom attribute", tags=["attributes"]),
)
class AttributeDefinitionViewSet(ApiModelViewSet):
    serializer_class = AttributeDefinitionSerializer
    ordering_fields = ["key", "label", "id"]
    ordering = ["key"]

    def get_queryset(self):
        return AttributeDefinition.objects.filter(organization=self.organization)

    def perform_create(self, serializer) -> None:
        serializer.save(organization=self.organization)


@extend_schema_view(
    list=extend_schema(summary="List tags", tags=["tags"]),
    retrieve=extend_schema(summary="Get a tag", tags=["tags"]),
    create=extend_schema(summary="Create a tag", tags=["tags"]),
    destroy=extend_schema(summary="Delete a tag (from every contact)", tags=["tags"]),
)
class TagViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, mixins.ListModelMixin,
                 mixins.RetrieveModelMixin, ApiViewSet):  # fmt: skip
    serializer_class = TagSerializer
    ordering_fields = ["name", "id"]
    ordering = ["name"]

    def get_queryset(self):
        return Tag.objects.filter(organization=self.organization)

    def perform_create(self, serializer) -> None:
        serializer.save(organization=self.organization)


@extend_schema_view(
    list=extend_schema(summary="List groups", tags=["groups"]),
    retrieve=extend_schema(summary="Get a group", tags=["groups"]),
    create=extend_schema(summary="Create a group", tags=["groups"]),
    update=extend_schema(summary="Change a group", tags=["groups"]),
    partial_update=extend_schema(summary="Change a group", tags=["groups"]),
    destroy=extend_schema(summary="Delete a group", tags=["groups"]),
)
class GroupViewSet(ApiModelViewSet):
    serializer_class = GroupSerializer
    ordering_fields = ["name", "id"]
    ordering = ["name"]

    def get_queryset(self):
        return Group.objects.filter(organization=self.organization)

    def perform_create(self, serializer) -> None:
        group = Group(organization=self.organization, **serializer.validated_data)
        serializer.instance = contact_services.save_group(group=group, source=services.SOURCE)

    @extend_schema(summary="List a group's members", tags=["groups"], responses=MembershipSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=MembershipSerializer)
    def memberships(self, request, pk=None):
        group = self.get_object()
        queryset = Membership.objects.filter(group=group).select_related("contact").order_by("id")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(MembershipSerializer(page, many=True).data)

    @extend_schema(
        summary="Add, subscribe, unsubscribe or remove a contact",
        tags=["groups"],
        request=MembershipChangeSerializer,
        responses={200: MembershipSerializer, 204: None},
        description="`subscribe` and `unsubscribe` record consent and fire their events like the preference "
        "center does; a blacklisted contact is refused with 422. `remove` forgets the membership (204; 404 if "
        "there is none to remove) and fires *member removed from group*.",
        examples=[OpenApiExample("Subscribe", value={"contact": 17, "action": "subscribe"}, request_only=True)],
    )
    @memberships.mapping.post
    def change_membership(self, request, pk=None):
        group = self.get_object()
        serializer = MembershipChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        contact = get_object_or_404(Contact, organization=self.organization, pk=data["contact"])
        if data["action"] == "add":
            membership = contact_services.add_member(contact=contact, group=group, source=services.SOURCE)
        elif data["action"] == "subscribe":
            membership = contact_services.subscribe(
                contact=contact, group=group, source=services.SOURCE, ip_address=client_ip(request)
            )
        elif data["action"] == "remove":
            if not contact_services.remove_member(contact=contact, group=group, source=services.SOURCE):
                raise NotFound(_("The contact is not a member of this group (or is blacklisted for it)."))
            return Response(status=status.HTTP_204_NO_CONTENT)
        else:
            membership = contact_services.unsubscribe(
                contact=contact, group=group, source=services.SOURCE, reason=data["reason"]
            )
        membership.refresh_from_db()
        return Response(MembershipSerializer(membership).data)
