from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("forecast/", views.forecast, name="forecast"),
    path("export/<slug:key>.csv", views.export_csv, name="export"),
    path("refresh/", views.refresh, name="refresh"),
    path("refresh/<str:task_id>/", views.refresh_status, name="refresh_status"),
]
