"""The Panel Registry: panels (read), one patient added (98990) or removed."""

import django_filters
from django.conf import settings
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django_ratelimit.core import get_usage
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.permissions import role
from api.serializers import (
    AddPatientResultSerializer,
    AddPatientSerializer,
    PanelEntrySerializer,
    PanelSerializer,
    ReasonSerializer,
    panel_entry_rows,
)
from attachment.core import access, audit, roles
from providers.models import Provider
from registries.models import PanelEntry
from registries.panels import entries

READERS = roles.CLINIC_ROLES + (roles.COORDINATOR,)
# What a panel page shows (panel_entry_rows) and its audit row names (the provider): only those
# columns travel, not every provider column fifty times over.
PAGE_COLUMNS = ("id", "provider_id", "patient_id", "since", "source", "last_visit", "ended_at", "end_reason",
                "patient__id", "patient__phn", "patient__first_name", "patient__last_name", "patient__date_of_birth",
                "patient__gender", "patient__is_primary_contact",
                "provider__id", "provider__kind", "provider__first_name", "provider__last_name")
# What the clinic is told when a claim goes to the coordinators: the page's words, the same
# whatever the registry holds under that PHN (nothing about people outside the clinic leaks).
REVIEW_MESSAGE = ("This patient needs an attachment coordinator's review before they can be added. "
                  "The claim was sent to the coordinators; it was not added yet.")


class EntryFilter(django_filters.FilterSet):
    since_after = django_filters.DateFilter(field_name="since", lookup_expr="gte")
    phn = django_filters.CharFilter(field_name="patient__phn")

    class Meta:
        model = PanelEntry
        fields = ["source"]


def _user_key(group, request):
    # The same key as the panel pages: a person's checks through the page and the API count together.
    return f"user:{request.user.pk}:{request.user.date_joined.timestamp()}"


class PanelViewSet(viewsets.ReadOnlyModelViewSet):
    """Providers' panels the caller may read; `entries` lists a panel's patients (audited)."""

    serializer_class = PanelSerializer
    queryset = Provider.objects.none()  # the schema's model; get_queryset asks access
    permission_classes = [role(*READERS)]
    filterset_class = None
    cursor_ordering = "id"

    def get_queryset(self):
        return access.panel_readable_providers(self.request.user).annotate(
            panel_size=Count("panel_entries", filter=Q(panel_entries__ended_at__isnull=True)))

    def get_object(self):
        provider = access.panel_to_read(self.request.user, self.kwargs["pk"])
        return self.get_queryset().get(pk=provider.pk)

    @extend_schema(responses=PanelEntrySerializer(many=True), filters=True)
    @action(detail=True, methods=["get"], filterset_class=EntryFilter, cursor_ordering="id",
            queryset=PanelEntry.objects.none(),
            serializer_class=PanelEntrySerializer)
    def entries(self, request, pk=None):
        # Scope, filters and page in one query; the provider comes with its entries.
        qs = self.filter_queryset(access.panel_entries_to_read(request.user, pk)
                                  .select_related("patient", "provider").only(*PAGE_COLUMNS))
        page = self.paginate_queryset(qs)
        # An empty page: the caller's own empty panel (or filter), or a 404 outside its scope.
        provider = page[0].provider if page else access.panel_to_read(request.user, pk)
        audit.record(user=request.user, action="search" if request.GET.get("phn") else "view", obj=provider,
                     actor=request.actor, summary=f"API: panel of {provider} read ({len(page)} patients)")
        return self.get_paginated_response(panel_entry_rows(page))

    @extend_schema(request=AddPatientSerializer, responses={201: AddPatientResultSerializer,
                                                            202: AddPatientResultSerializer})
    @entries.mapping.post
    def add_patient(self, request, pk=None):
        """Add one patient (fee code 98990): the provider and their delegates."""
        if not roles.has_role(request.user, *roles.CLINIC_ROLES):
            self.permission_denied(request, message="Only the provider and their delegates change a panel.")
        provider = access.provider_to_act_for(request.user, pk)
        serializer = AddPatientSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        usage = get_usage(request._request, group="registries.panel_checks", key=_user_key,
                          rate=settings.ATTACH_PANEL_CHECK_RATE, method="POST", increment=True)
        if usage and usage["should_limit"]:
            raise exceptions.Throttled(detail="Too many patients checked in the last hour. Try again later, "
                                              "or ask an attachment coordinator.")
        result = entries.add_patient(provider, **serializer.validated_data, by=request.user, actor=request.actor)
        if result.conflict:
            return Response({"result": "review", "message": REVIEW_MESSAGE, "entry": None},
                            status=status.HTTP_202_ACCEPTED)
        return Response({"result": "added", "message": "The patient was added to the panel (98990).",
                         "entry": PanelEntrySerializer(result.entry).data}, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonSerializer, responses=PanelEntrySerializer)
    @action(detail=True, methods=["post"], url_path=r"entries/(?P<entry_pk>\d+)/remove")
    def remove_patient(self, request, pk=None, entry_pk=None):
        """Remove one patient: the entry ends and is kept with the reason."""
        if not roles.has_role(request.user, *roles.CLINIC_ROLES):
            self.permission_denied(request, message="Only the provider and their delegates change a panel.")
        provider = access.provider_to_act_for(request.user, pk)
        entry = get_object_or_404(PanelEntry.objects.select_related("patient", "provider"), pk=entry_pk,
                                  provider=provider, ended_at__isnull=True)
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = entries.remove_patient(entry, reason=serializer.validated_data["reason"], by=request.user,
                                       actor=request.actor)
        return Response(PanelEntrySerializer(entry).data)
