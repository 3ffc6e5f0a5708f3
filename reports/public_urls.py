from django.urls import path

from reports import public_views

app_name = "figures"
urlpatterns = [
    # --- the open monthly figures (reports.public_views), no login ---
    path("", public_views.index, name="index"),
    path("figures.csv", public_views.csv_download, name="csv"),
]
