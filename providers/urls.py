from django.urls import path

from providers import views

app_name = "providers"
urlpatterns = [
    path("", views.workspace, name="workspace"),
    path("providers/<int:pk>/", views.provider_detail, name="provider"),
    path("providers/<int:pk>/edit/", views.provider_edit, name="provider_edit"),
    path("providers/<int:pk>/capacity/", views.capacity, name="capacity"),
    path("providers/<int:pk>/delegations/", views.delegations, name="delegations"),
    path("delegations/request/", views.delegation_request, name="delegation_request"),
    path("delegations/<int:pk>/accept/", views.delegation_accept, name="delegation_accept"),
    path("delegations/<int:pk>/end/", views.delegation_end, name="delegation_end"),
    path("clinics/<int:pk>/", views.clinic_detail, name="clinic"),
    path("clinics/<int:pk>/edit/", views.clinic_edit, name="clinic_edit"),
    path("clinics/<int:pk>/staff/", views.clinic_staff_add, name="clinic_staff_add"),
    path("clinics/<int:pk>/staff/<int:membership_pk>/remove/", views.clinic_staff_remove, name="clinic_staff_remove"),
]
