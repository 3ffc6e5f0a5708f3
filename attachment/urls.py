from django.contrib import admin
from django.urls import include, path

from attachment import views

admin.site.site_header = "Attach administration"
admin.site.site_title = "Attach"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Systems first: they poll (an EMR reads its panel every few minutes), and a URL is
    # matched against each pattern in turn, a person's pages' includes included.
    # The REST API and the OAuth 2 endpoints for systems (api/); FHIR bulk export is
    # mounted at fhir/ before the FHIR API's own urls, which serve the rest of fhir/.
    path("api/", include("api.urls")),
    path("o/", include("api.oauth_urls")),
    path("fhir/", include("api.bulk.urls")),
    # FHIR R4 (fhir/): resources, search, $process-message, the EMR handoff and its webhook outbox.
    path("fhir/", include("fhir.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("patients.urls")),
    path("clinic/", include("providers.urls")),
    path("panels/", include("registries.panels.urls")),
    path("matching/", include("attachment.workflow.urls")),
    path("offer/", include("attachment.workflow.public_urls")),
    path("reports/", include("reports.urls")),
    path("care/", include("care.urls")),
    path("linkage/", include("linkage.urls")),
    # The public's language switch (Django's set_language; attachment/core/i18n.py).
    path("i18n/", include("django.conf.urls.i18n")),
    path("figures/", include("reports.public_urls")),  # the open monthly figures, no login
]
