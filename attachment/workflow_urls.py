"""URLs of the matching and offer workflow (proposals, offers)."""

app_name = "workflow"
urlpatterns = []
