from django.urls import path

from patients import selfservice_views, views

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
    # --- the household's self-service (patients.selfservice_views) ---
    path("self/", selfservice_views.start, name="self_start"),
    path("self/code/", selfservice_views.code, name="self_code"),
    path("self/household/", selfservice_views.household, name="self_household"),
    path("self/household/contact/", selfservice_views.contact, name="self_contact"),
    path("self/household/needs/", selfservice_views.needs, name="self_needs"),
    path("self/household/members/add/", selfservice_views.add_member, name="self_member_add"),
    path("self/household/members/remove/", selfservice_views.remove_member, name="self_member_remove"),
    path("self/household/leave/", selfservice_views.leave, name="self_leave"),
    path("self/sign-out/", selfservice_views.sign_out, name="self_sign_out"),
]
