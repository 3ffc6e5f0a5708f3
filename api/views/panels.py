"""The Panel Registry: panels (read), one patient added (98990) or removed."""

import django_filters
from django.conf import settings
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django_filters.utils import translate_validation
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
from registries.panels import entries, selectors

READERS = roles.CLINIC_ROLES + (roles.COORDINATOR,)
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


def _entry_filters(request) -> dict:
    """The page's filters, checked by EntryFilter's form (its field errors a 400, as the
    filter backend gives), as open_entries_page's keywords; none given, nothing built."""
    if not any(name in request.GET for name in EntryFilter.base_filters):
        return {}
    filterset = EntryFilter(request.GET, queryset=PanelEntry.objects.none())
    if not filterset.is_valid():
        raise translate_validation(filterset.errors)
    data = filterset.form.cleaned_data
    return {"source": data.get("source") or None, "since_after": data.get("since_after"),
            "phn": data.get("phn") or None}


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
        # Scope, filters, page and its audit row in one statement (the selector's SQL,
        # access's scope): this is the page EMRs poll. An empty page: the caller's own empty
        # panel (or filter), or a 404 outside its scope, which panel_to_read tells apart.
        if not str(pk).isdigit():
            raise Http404("No such provider in your scope.")
        provider_id = int(pk)
        filters = _entry_filters(request)
        scope = access.panel_reader_sql(request.user, provider_id)
        event = audit.event_values(user=request.user, action="search" if filters.get("phn") else "view",
                                   object_type=Provider._meta.label, object_id=str(provider_id), actor=request.actor,
                                   summary=f"API: panel of provider {provider_id} read ({audit.COUNT} patients)")

        def fetch(**walk):
            rows, more = selectors.open_entries_page(provider_id, scope, **walk, **filters, audit_event=event)
            if not rows:
                access.panel_to_read(request.user, provider_id)
            return panel_entry_rows(rows), more

        page = self.paginator.paginate_keyset(request, fetch)
        return self.paginator.get_paginated_response(page)

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
