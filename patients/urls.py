from django.urls import path

from patients import views

app_name = "patients"
urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/done/", views.register_done, name="register_done"),
    path("register/already/", views.already_registered, name="already_registered"),
    path("status/", views.status_lookup, name="status"),
    path("waitlist/", views.waitlist, name="waitlist"),
    path("waitlist/new/", views.staff_register, name="staff_register"),
    path("waitlist/calls/", views.call_list, name="call_list"),
    path("waitlist/identity/", views.identity_reviews, name="identity_reviews"),
    path("waitlist/identity/<int:pk>/resolve/", views.identity_resolve, name="identity_resolve"),
    path("waitlist/<int:pk>/", views.registration_detail, name="registration"),
    path("waitlist/<int:pk>/edit/", views.edit_registration, name="edit"),
    path("waitlist/<int:pk>/note/", views.add_note, name="add_note"),
    path("waitlist/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("waitlist/<int:pk>/ineligible/", views.mark_ineligible, name="ineligible"),
    path("waitlist/<int:pk>/priority/", views.override_priority, name="priority"),
]
