"""Local waitlists and registry duplicates (coordinators), under /linkage/."""

from django.urls import path

from linkage import views

app_name = "linkage"
urlpatterns = [
    path("imports/", views.import_list, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("imports/<int:pk>/run/", views.import_run, name="import_run"),
    path("imports/<int:pk>/cancel/", views.import_cancel, name="import_cancel"),
    path("imports/<int:pk>/rows/", views.import_rows, name="import_rows"),
    path("review/", views.review_queue, name="queue"),
    path("review/<int:pk>/", views.review_row, name="review"),
    path("review/<int:pk>/undo/", views.undo_row, name="undo"),
    path("duplicates/", views.duplicate_list, name="duplicates"),
    path("duplicates/<int:pk>/", views.duplicate_detail, name="duplicate"),
    path("duplicates/<int:pk>/undo/", views.duplicate_undo, name="duplicate_undo"),
]
