"""The household's public offer pages, mounted at /offer/ (no login: reference code + date of birth)."""

from django.urls import path

from attachment.workflow import views

app_name = "offer"
urlpatterns = [
    path("answered/", views.respond_done, name="respond_done"),
    path("<str:reference>/", views.respond, name="respond"),
]
