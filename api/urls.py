"""/api/: the REST API (v1), its OpenAPI schema and reference page."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from api.views.matching import MatchRunViewSet
from api.views.offers import OfferViewSet
from api.views.panels import PanelViewSet
from api.views.providers import ProviderViewSet
from api.views.registrations import RegistrationViewSet
from api.views.reports import ReportsView

app_name = "api"

router = SimpleRouter(trailing_slash=True)
router.register("registrations", RegistrationViewSet, basename="registration")
router.register("providers", ProviderViewSet, basename="provider")
router.register("panels", PanelViewSet, basename="panel")
router.register("offers", OfferViewSet, basename="offer")
router.register("runs", MatchRunViewSet, basename="run")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/reports/", ReportsView.as_view(), name="reports"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
