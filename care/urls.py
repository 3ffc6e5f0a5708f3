from django.urls import path

from care import hospital_views, mdt_views, pvp_views, views

app_name = "care"

urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("find/", views.find, name="find"),
    path("candidates/", views.candidates, name="candidates"),
    path("worklist/", views.worklist, name="worklist"),
    path("patients/<int:pk>/", views.patient, name="patient"),
    path("patients/<int:pk>/enrol/", views.enrol, name="enrol"),
    path("patients/<int:pk>/contact/", views.contact, name="contact"),
    path("patients/<int:pk>/plan/", views.plan_edit, name="plan_edit"),
    path("patients/<int:pk>/plan/compare/", views.plan_compare, name="plan_compare"),
    path("patients/<int:pk>/plan/<int:number>/", views.plan_version, name="plan_version"),
    path("patients/<int:pk>/tasks/new/", views.task_new, name="task_new"),
    path("patients/<int:pk>/profile/", views.profile, name="profile"),
    path("enrolments/<int:pk>/discharge/", views.discharge, name="discharge"),
    path("enrolments/<int:pk>/need-level/", views.need_level, name="need_level"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("tasks/<int:pk>/assign/", views.task_assign, name="task_assign"),
    # Hospital stays, pre-visit planning, the provider's side, the printable plan, MDT meetings.
    path("patients/<int:pk>/hospital/admit/", hospital_views.admit, name="stay_new"),
    path("stays/<int:pk>/discharge/", hospital_views.discharge, name="stay_discharge"),
    path("stays/<int:pk>/summary-received/", hospital_views.summary_received, name="stay_summary"),
    path("stays/<int:pk>/close/", hospital_views.close, name="stay_close"),
    path("patients/<int:pk>/visits/new/", pvp_views.visit_new, name="visit_new"),
    path("visits/<int:pk>/", pvp_views.visit, name="visit"),
    path("visits/<int:pk>/cancel/", pvp_views.visit_cancel, name="visit_cancel"),
    path("visits/<int:pk>/summary/", pvp_views.visit_summary, name="visit_summary"),
    path("my-panel/", pvp_views.my_panel, name="my_panel"),
    path("my-panel/tasks/<int:pk>/done/", pvp_views.provider_task_done, name="provider_task_done"),
    path("patients/<int:pk>/plan/print/", pvp_views.plan_print, name="plan_print"),
    path("mdt/", mdt_views.meetings, name="mdt_meetings"),
    path("mdt/<int:pk>/", mdt_views.meeting, name="mdt_meeting"),
    path("mdt/items/<int:pk>/", mdt_views.item, name="mdt_item"),
]
