"""Mounted at fhir/ before the FHIR API's own urls (the bulk export is ours, the rest is fhir/)."""

from django.urls import path

from api.bulk import views

app_name = "bulk"

urlpatterns = [
    path("$export", views.SystemExport.as_view(), name="export_system"),
    path("Group/<int:group_id>/$export", views.GroupExport.as_view(), name="export_group"),
    path("bulk/<uuid:export_id>", views.ExportStatus.as_view(), name="status"),
    path("bulk/<uuid:export_id>/<str:resource_type>.ndjson", views.ExportFile.as_view(), name="file"),
]
