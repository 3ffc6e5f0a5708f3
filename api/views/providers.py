"""The Clinic and Provider Registry: providers (read) and their capacity (the provider and delegates write)."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.permissions import role
from api.serializers import CapacitySerializer, DeclarationSerializer, ProviderSerializer
from attachment.core import access, roles
from providers import capacity
from providers.models import Provider

READERS = roles.CLINIC_ROLES + (roles.COORDINATOR,)


class ProviderFilter(django_filters.FilterSet):
    community = django_filters.NumberFilter(field_name="clinics__community", distinct=True)
    clinic = django_filters.NumberFilter(field_name="clinics", distinct=True)

    class Meta:
        model = Provider
        fields = ["kind", "accepting"]


def _capacity(provider):
    return {"provider": provider.pk, "accepting": provider.accepting, "open_capacity": provider.open_capacity,
            "declaration": capacity.latest_declaration(provider)}


class ProviderViewSet(viewsets.ReadOnlyModelViewSet):
    """Providers the caller may read: those they act for, in their divisions, at their clinics."""

    serializer_class = ProviderSerializer
    queryset = Provider.objects.none()  # the schema's model; get_queryset asks access
    permission_classes = [role(*READERS)]
    filterset_class = ProviderFilter
    cursor_ordering = "id"

    def get_queryset(self):
        return access.readable_providers(self.request.user).prefetch_related("clinics", "communities")

    def get_object(self):
        return access.provider_to_read(self.request.user, self.kwargs["pk"])

    @extend_schema(responses=CapacitySerializer)
    @action(detail=True, methods=["get"], url_path="capacity")
    def capacity(self, request, pk=None):
        provider = access.provider_to_read(request.user, pk)
        return Response(CapacitySerializer(_capacity(provider)).data)

    @extend_schema(request=DeclarationSerializer, responses={201: CapacitySerializer})
    @capacity.mapping.post
    def declare(self, request, pk=None):
        """A new capacity declaration (the provider, or a delegate acting for them)."""
        if not roles.has_role(request.user, *roles.CLINIC_ROLES):
            self.permission_denied(request, message="Only the provider and their delegates declare capacity.")
        provider = access.provider_to_act_for(request.user, pk)
        serializer = DeclarationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        capacity.declare_capacity(provider, by=request.user, actor=request.actor, **data)
        provider.refresh_from_db()
        return Response(CapacitySerializer(_capacity(provider)).data, status=status.HTTP_201_CREATED)
