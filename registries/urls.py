"""Panel Registry pages."""

app_name = "registries"
urlpatterns = []
