"""URLs of the matching and offer workflow, mounted at /matching/."""

from django.urls import path

from attachment.workflow import views

app_name = "workflow"
urlpatterns = [
    path("", views.runs, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run_progress"),
    path("proposals/", views.proposals, name="proposals"),
    path("proposals/confirm/", views.confirm_send, name="confirm_send"),
    path("proposals/send/", views.send_offers, name="send_offers"),
    path("proposals/<int:pk>/skip/", views.skip, name="skip"),
    path("sent/", views.offers, name="offers"),
    path("sent/<int:pk>/", views.offer_manage, name="offer"),
    path("offers/", views.inbox, name="inbox"),
    path("offers/<int:pk>/", views.inbox_offer, name="inbox_offer"),
    # The household's own answer. Also mounted at the site root as /offer/ by
    # attachment/offer_urls.py, which is the address the email gives.
]
