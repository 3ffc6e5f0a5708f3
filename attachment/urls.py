from django.contrib import admin
from django.urls import include, path

from attachment import views

admin.site.site_header = "Attach administration"
admin.site.site_title = "Attach"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("patients.urls")),
    path("clinic/", include("providers.urls")),
    path("panels/", include("registries.panels.urls")),
    path("matching/", include("attachment.workflow.urls")),
    path("offer/", include("attachment.workflow.public_urls")),
    path("reports/", include("reports.urls")),
    path("care/", include("care.urls")),
    # The public's language switch (Django's set_language; attachment/core/i18n.py).
    path("i18n/", include("django.conf.urls.i18n")),
    path("figures/", include("reports.public_urls")),  # the open monthly figures, no login
]
