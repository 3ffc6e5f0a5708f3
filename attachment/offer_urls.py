"""The public offer page at the site root: include with path("offer/", include("attachment.offer_urls"))."""

from django.urls import path

from attachment import workflow_views as views

app_name = "offer"
urlpatterns = [
    path("<str:reference>/", views.respond, name="respond"),
]
