"""Matching runs (coordinators): start one, follow its progress, read its proposals."""

from django.http import QueryDict
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.permissions import role
from api.serializers import MatchRunSerializer, ProposalSerializer, StartRunSerializer
from api.views.base import audit_list, form_or_400
from attachment.core import access, roles
from attachment.workflow import selectors, services
from attachment.workflow.forms import RunForm
from attachment.workflow.models import MatchRun, Proposal


class MatchRunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Runs in the caller's divisions (and region-wide runs, which cover them)."""

    serializer_class = MatchRunSerializer
    queryset = MatchRun.objects.none()  # the schema's model; get_queryset asks access
    permission_classes = [role(roles.COORDINATOR)]
    filter_backends = []
    cursor_ordering = "-id"

    def get_queryset(self):
        return selectors.runs_for(self.request.user)

    def get_object(self):
        return access.run_to_read(self.request.user, self.kwargs["pk"])

    @extend_schema(request=StartRunSerializer, responses={202: MatchRunSerializer})
    def create(self, request, *args, **kwargs):
        """Queue a run for a division (or one of its communities); poll the run for its progress."""
        given = StartRunSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = QueryDict(mutable=True)
        data.update({k: "" if v is None else str(v) for k, v in given.validated_data.items() if k != "supersede"})
        if given.validated_data["supersede"]:
            data["supersede"] = "on"
        cleaned = form_or_400(RunForm(data, user=request.user))  # the page's form: divisions in scope only
        access.require_division(request.user, cleaned["division"].pk)
        run = services.start_run(by=request.user, division_id=cleaned["division"].pk,
                                 community_id=cleaned["community"].pk if cleaned["community"] else None,
                                 supersede=cleaned["supersede"], actor=request.actor)
        return Response(MatchRunSerializer(run).data, status=status.HTTP_202_ACCEPTED,
                        headers={"Location": request.build_absolute_uri(f"{run.pk}/")})

    @extend_schema(responses=ProposalSerializer(many=True), parameters=[
        OpenApiParameter("status", str, enum=Proposal.Status.values)])
    @action(detail=True, methods=["get"], serializer_class=ProposalSerializer, cursor_ordering="id")
    def proposals(self, request, pk=None):
        """The run's proposals within the caller's divisions (proposed ones unless `status` says)."""
        run = access.run_to_read(request.user, pk)
        wanted = request.GET.get("status")
        wanted = wanted if wanted in Proposal.Status.values else Proposal.Status.PROPOSED
        qs = selectors.proposals_for(request.user, run_id=run.pk, status=wanted).order_by()
        page = self.paginate_queryset(qs)
        audit_list(request, "attachment.Proposal", f"proposals of run {run.pk} ({wanted})")
        return self.get_paginated_response(ProposalSerializer(page, many=True).data)
