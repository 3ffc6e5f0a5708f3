"""The project's URLs and /bench/bare/: a DRF view with the same defaults (authentication,
permission, throttle, renderer) returning a page of the same size, from memory."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from attachment.urls import urlpatterns as project_urlpatterns

PAGE = 50
ROWS = [{"id": 1_000_000 + n, "provider": 1, "since": "2020-01-01", "source": "upload", "last_visit": "2025-06-30",
         "ended_at": None, "end_reason": "",
         "patient": {"id": 2_000_000 + n, "phn": "9123456789", "first_name": "Ana", "last_name": "Lopez",
                     "date_of_birth": "1980-05-17", "gender": "F", "is_primary_contact": False}}
        for n in range(PAGE)]


class BareView(APIView):
    def get(self, request):
        return Response({"next": "http://127.0.0.1/bench/bare/?cursor=cD0x", "previous": None, "results": ROWS})


urlpatterns = [path("bench/bare/", BareView.as_view()), *project_urlpatterns]
