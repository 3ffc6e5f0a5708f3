"""The OpenAPI schema is valid OpenAPI 3, and every operation in it answers for its role."""

import pytest
import yaml
from openapi_spec_validator import validate

from attachment.core.models import AuditEvent
from tests.conftest import login

pytestmark = pytest.mark.django_db

# Who uses each path (its first segment after /api/v1/).
ROLE_OF = {"registrations": "coordinator", "providers": "moa", "panels": "moa", "offers": "moa", "runs": "coordinator",
           "reports": "coordinator"}


@pytest.fixture
def schema(client, coordinator):
    login(client, coordinator)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    client.logout()
    return yaml.safe_load(response.content)


def test_the_schema_is_valid_openapi_3(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["tokenUrl"] == "/o/token/"


def test_the_reference_page_is_served_with_our_own_assets(client, coordinator):
    login(client, coordinator)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "https://" not in html.replace("https://fhir", "")  # no CDN
    assert client.get("/api/docs/?script=").status_code == 200


def _url(path, world):
    ids = {"registrations": world["registration"].pk, "providers": world["provider"].pk,
           "panels": world["provider"].pk, "offers": world["offer"].pk, "runs": world["run"].pk}
    resource = path.split("/")[3]
    url = path.replace("{id}", str(ids.get(resource, 0))).replace("{entry_pk}", str(world["entry"].pk))
    assert "{" not in url, url
    return url


def test_every_operation_answers_for_its_role(client, schema, api_world, thompson):
    from reports.services import build_snapshots

    build_snapshots([thompson.pk])
    operations = [(path, method) for path, item in schema["paths"].items() for method in item
                  if method in ("get", "post", "put", "patch", "delete")]
    assert len(operations) >= 20
    for path, method in operations:
        who = api_world[ROLE_OF[path.split("/")[3]]]
        login(client, who)
        url = _url(path, api_world)
        if method == "get":
            response = client.get(url, {"division": thompson.pk} if path.endswith("reports/") else None)
            assert response.status_code == 200, f"GET {path}: {response.status_code} {response.content[:300]}"
        else:
            # An empty body: the operation is there for this role and says what it needs (or does it).
            response = client.post(url, "{}", content_type="application/json")
            assert response.status_code in (200, 201, 202, 400, 409), f"POST {path}: {response.status_code}"
            if response.status_code == 400:
                assert response.json()["error"]["code"] == "invalid"
        client.logout()
    assert AuditEvent.objects.filter(summary__startswith="API:").exists()

