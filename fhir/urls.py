from django.urls import path, re_path

from fhir import pages, views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.Metadata.as_view(), name="metadata"),
    path("$process-message", views.ProcessMessage.as_view(), name="process_message"),
    path("handoff/<int:pk>", pages.handoff_download, name="handoff"),
    path("clinics/<int:pk>/integration", pages.integration, name="integration"),
    path("deliveries/", pages.deliveries, name="deliveries"),
    path("deliveries/<int:pk>/retry", pages.delivery_retry, name="delivery_retry"),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]+)$", views.Search.as_view(), name="search"),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]+)/(?P<pk>[A-Za-z0-9\-.]{1,64})$", views.Read.as_view(), name="read"),
]
