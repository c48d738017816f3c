"""What every API view shares: the caller's organization, and POSTs that run once per
Idempotency-Key inside one transaction."""

from __future__ import annotations

from django.db import transaction
from rest_framework import viewsets
from rest_framework.views import APIView

from api import idempotency
from api.filters import id_or_404
from contacts.models import Organization


class ApiMixin:
    @property
    def organization(self) -> Organization:
        # None only while the schema is generated (no caller): querysets are then empty.
        return getattr(self.request.user, "organization", None)

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if getattr(self.request, "user", None) is not None:
            context["organization"] = self.request.user.organization
        return context

    def dispatch(self, request, *args, **kwargs):
        # DRF's dispatch, with the handler wrapped in a transaction (and, for POST with an
        # Idempotency-Key, in a claim of that key).
        self.args = args
        self.kwargs = kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            self.initial(request, *args, **kwargs)
            method = request.method.lower()
            handler = getattr(self, method, None) if method in self.http_method_names else None
            handler = handler or self.http_method_not_allowed
            response = self.run_handler(request, handler, *args, **kwargs)
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    def run_handler(self, request, handler, *args, **kwargs):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return handler(request, *args, **kwargs)
        key = request.META.get("HTTP_IDEMPOTENCY_KEY")
        if request.method == "POST" and key is not None:
            return idempotency.run_once(
                organization=self.organization,
                key=idempotency.clean_key(key),
                fingerprint=idempotency.fingerprint(request.method, request.path, request.data),
                work=lambda: handler(request, *args, **kwargs),
            )
        with transaction.atomic():
            return handler(request, *args, **kwargs)


class ApiGenericMixin(ApiMixin):
    def get_object(self):
        lookup = self.lookup_url_kwarg or self.lookup_field
        if lookup in self.kwargs:
            id_or_404(self.kwargs[lookup])
        return super().get_object()


class ApiViewSet(ApiGenericMixin, viewsets.GenericViewSet):
    pass


class ApiModelViewSet(ApiGenericMixin, viewsets.ModelViewSet):
    pass


class ApiReadOnlyViewSet(ApiGenericMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ApiView(ApiMixin, APIView):
    pass
