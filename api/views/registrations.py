"""Registrations on the waitlist (coordinators, their divisions)."""

import django_filters
from django.db.models import Prefetch
from rest_framework import viewsets

from api.permissions import role
from api.serializers import RegistrationSerializer
from api.views.base import audit_list, audit_view
from attachment.core import access, roles
from patients.models import Patient, Registration


class RegistrationFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Registration.Status.choices)
    registered_after = django_filters.IsoDateTimeFilter(field_name="registered_at", lookup_expr="gte")
    registered_before = django_filters.IsoDateTimeFilter(field_name="registered_at", lookup_expr="lt")

    class Meta:
        model = Registration
        fields = ["status", "community", "division", "source"]


class RegistrationViewSet(viewsets.ReadOnlyModelViewSet):
    """Household registrations of the caller's divisions. Each page read is audited."""

    serializer_class = RegistrationSerializer
    queryset = Registration.objects.none()  # the schema's model; get_queryset asks access
    permission_classes = [role(roles.COORDINATOR)]
    filterset_class = RegistrationFilter
    cursor_ordering = "id"

    def get_queryset(self):
        members = Prefetch("members", queryset=Patient.objects.order_by("-is_primary_contact", "id"))
        return access.coordinator_registrations(self.request.user).select_related("community").prefetch_related(members)

    def get_object(self):
        registration = access.registration_to_read(self.request.user, self.kwargs["pk"])
        audit_view(self.request, registration, "registration read")
        return registration

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_list(request, "patients.Registration", f"registrations list {request.GET.urlencode()}")
        return response
