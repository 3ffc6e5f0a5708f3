"""The clinic inbox: offers to the providers the caller acts for, and the clinic's answers."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.permissions import role
from api.serializers import (
    MeetAndGreetSerializer,
    OfferDetailSerializer,
    OfferSerializer,
    ReasonSerializer,
)
from api.views.base import audit_list, audit_view
from attachment.core import access, roles
from attachment.workflow import selectors, services
from attachment.workflow.models import Offer

STATUSES = {"open", "all"} | set(Offer.Status.values)


class OfferViewSet(viewsets.ReadOnlyModelViewSet):
    """Offers to the providers the caller acts for (open ones unless `status` says otherwise)."""

    serializer_class = OfferSerializer
    queryset = Offer.objects.none()  # the schema's model; get_queryset asks access
    permission_classes = [role(*roles.CLINIC_ROLES)]
    filter_backends = []  # `status` is the inbox's own filter (open, all, or one status)
    cursor_ordering = "id"

    def _status(self):
        wanted = self.request.GET.get("status") or "open"
        return wanted if wanted in STATUSES else "open"

    def get_queryset(self):
        return selectors.inbox_offers(self.request.user, status=self._status())

    def _detail(self, offer):
        context = {"household": selectors.household_profile(offer.registration)}
        return Response(OfferDetailSerializer(offer, context=context).data)

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=sorted(STATUSES))])
    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_list(request, "attachment.Offer", f"offers inbox ({self._status()})")
        return response

    @extend_schema(responses=OfferDetailSerializer)
    def retrieve(self, request, pk=None):
        offer = access.clinic_offer(request.user, pk)
        audit_view(request, offer, "offer in the clinic inbox read")
        return self._detail(offer)

    @extend_schema(request=MeetAndGreetSerializer, responses=OfferDetailSerializer)
    @action(detail=True, methods=["post"], url_path="meet-and-greet")
    def meet_and_greet(self, request, pk=None):
        offer = access.clinic_offer(request.user, pk)
        serializer = MeetAndGreetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.book_meet_and_greet(offer.pk, at=serializer.validated_data["at"], by=request.user,
                                     actor=request.actor)
        return self._detail(access.clinic_offer(request.user, pk))

    @extend_schema(request=None, responses=OfferDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        offer = access.clinic_offer(request.user, pk)
        services.clinic_accept(offer.pk, by=request.user, actor=request.actor)
        return self._detail(access.clinic_offer(request.user, pk))

    @extend_schema(request=ReasonSerializer, responses=OfferDetailSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        offer = access.clinic_offer(request.user, pk)
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.clinic_decline(offer.pk, by=request.user, reason=serializer.validated_data["reason"],
                                actor=request.actor)
        return self._detail(access.clinic_offer(request.user, pk))
