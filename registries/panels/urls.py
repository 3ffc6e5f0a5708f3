"""Panel Registry pages."""

from django.urls import path

from registries.panels import views

app_name = "registries"
urlpatterns = [
    path("provider/<int:provider_pk>/", views.panel, name="panel"),
    path("provider/<int:provider_pk>/add/", views.panel_add, name="panel_add"),
    path("provider/<int:provider_pk>/upload/", views.upload_new, name="upload_new"),
    path("entries/<int:entry_pk>/remove/", views.panel_remove, name="panel_remove"),
    path("uploads/<int:pk>/", views.upload_detail, name="upload"),
    path("uploads/<int:pk>/progress/", views.upload_progress, name="upload_progress"),
    path("uploads/<int:pk>/load/", views.upload_load, name="upload_load"),
    path("uploads/<int:pk>/cancel/", views.upload_cancel, name="upload_cancel"),
    path("division/", views.division_panels, name="division"),
    path("conflicts/", views.conflicts, name="conflicts"),
    path("conflicts/<int:pk>/resolve/", views.conflict_resolve, name="conflict_resolve"),
    path("waitlist-flags/", views.flags, name="flags"),
    path("waitlist-flags/<int:pk>/resolve/", views.flag_resolve, name="flag_resolve"),
]
