"""The API's panel page is read by hand-written SQL (registries.panels.selectors and
access.panel_reader_sql): its scope must be the access module's own for every role, and
its cursors walk a panel as DRF's cursor pagination does, forwards and back."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from guardian.shortcuts import assign_perm

from attachment.core import access, roles
from providers.models import Provider
from registries.models import PanelEntry
from tests.api.conftest import bearer, register
from tests.factories import ClinicFactory, PatientFactory, ProviderFactory, UserFactory, community

pytestmark = pytest.mark.django_db


def sql_readable(user) -> set[int]:
    readable = set()
    with connection.cursor() as cursor:
        for pk in Provider.objects.values_list("pk", flat=True):
            condition, params = access.panel_reader_sql(user, pk)
            cursor.execute(f"SELECT {condition}", params)
            if cursor.fetchone()[0]:
                readable.add(pk)
    return readable


@pytest.fixture
def people(api_world, manager, administrator, other_division):
    provider, other_provider = api_world["provider"], api_world["other_provider"]
    # A provider of the coordinator's division by community only (no clinic there).
    roaming = ProviderFactory(clinic=ClinicFactory(community=community("Victoria")), last_name="Roaming")
    roaming.communities.add(api_world["clinic"].community)
    own = UserFactory(username="own-provider")
    roles.add_role(own, roles.PROVIDER)
    provider.user = own
    provider.save(update_fields=["user"])
    revoked = UserFactory(username="revoked-moa")
    roles.add_role(revoked, roles.MOA)
    roles.grant_provider(revoked, other_provider)
    roles.revoke_provider(revoked, other_provider)
    by_group = UserFactory(username="group-moa")
    roles.add_role(by_group, roles.MOA)
    team = Group.objects.create(name="Far clinic team")
    team.user_set.add(by_group)
    assign_perm("providers.act_for_provider", team, other_provider)
    lead = UserFactory(username="lead")
    roles.grant_clinic(lead, api_world["clinic"])  # reads the clinic's providers, not their panels
    care = UserFactory(username="care")  # reads care records, not panels through this page
    roles.add_role(care, roles.CARE_COORDINATOR)
    # A coordinator's role without its division permission reads nothing by division.
    no_division = UserFactory(username="no-division")
    roles.add_role(no_division, roles.COORDINATOR)
    return {"coordinator": api_world["coordinator"], "other_coordinator": None, "moa": api_world["moa"],
            "other_moa": api_world["other_moa"], "own": own, "revoked": revoked, "by_group": by_group,
            "lead": lead, "care": care, "manager": manager, "administrator": administrator,
            "no_division": no_division, "roaming": roaming}


def test_the_sql_scope_is_the_access_modules_for_every_role(people, other_coordinator):
    people["other_coordinator"] = other_coordinator
    seen = {}
    for name, user in people.items():
        if name == "roaming":
            continue
        expected = set(access.panel_readable_providers(user).values_list("pk", flat=True))
        assert sql_readable(user) == expected, name
        seen[name] = expected
    assert people["roaming"].pk in seen["coordinator"]  # by community, not clinic
    assert seen["by_group"] and not seen["revoked"] and not seen["manager"] and not seen["care"] and not seen["lead"]
    assert seen["administrator"] == set(Provider.objects.values_list("pk", flat=True))


def entries_of(provider, n):
    return [PanelEntry.objects.create(provider=provider, patient=PatientFactory(), since=datetime.date(2022, 1, 1 + i),
                                      source=PanelEntry.Source.UPLOAD if i % 2 else PanelEntry.Source.ATTACH).pk
            for i in range(n)]


def test_the_cursor_walks_the_panel_forwards_and_back(client, api_world):
    provider = api_world["provider"]
    ids = sorted([api_world["entry"].pk, *entries_of(provider, 6)])
    emr, secret = register(roles.MOA, [provider])
    headers = bearer(client, emr, secret)
    url, walked, pages = f"/api/v1/panels/{provider.pk}/entries/?page_size=3", [], []
    while url:
        body = client.get(url, **headers).json()
        pages.append(body)
        walked += [row["id"] for row in body["results"]]
        url = body["next"]
    assert walked == ids and [len(p["results"]) for p in pages] == [3, 3, 1]
    assert pages[0]["previous"] is None and pages[1]["previous"]
    back = client.get(pages[2]["previous"], **headers).json()
    assert [row["id"] for row in back["results"]] == ids[3:6]
    assert [row["id"] for row in client.get(back["previous"], **headers).json()["results"]] == ids[:3]
    assert client.get(back["next"], **headers).json()["results"] == pages[2]["results"]


def test_filters_and_bad_input(client, api_world):
    provider = api_world["provider"]
    entries_of(provider, 4)
    emr, secret = register(roles.MOA, [provider])
    headers = bearer(client, emr, secret)
    url = f"/api/v1/panels/{provider.pk}/entries/"
    uploads = client.get(url, {"source": "upload"}, **headers).json()["results"]
    assert uploads and {row["source"] for row in uploads} == {"upload"}
    recent = client.get(url, {"since_after": "2022-01-03"}, **headers).json()["results"]
    assert recent and all(row["since"] >= "2022-01-03" for row in recent)
    phn = api_world["patient"].phn
    assert [row["patient"]["phn"] for row in client.get(url, {"phn": phn}, **headers).json()["results"]] == [phn]
    bad = client.get(url, {"since_after": "yesterday", "source": "fax"}, **headers)
    assert bad.status_code == 400 and b"since_after" in bad.content and b"source" in bad.content
    assert client.get(url, {"cursor": "not-a-cursor"}, **headers).status_code == 404


def test_each_page_read_writes_its_audit_row(client, api_world):
    from attachment.core.models import AuditEvent

    provider = api_world["provider"]
    entries_of(provider, 4)
    # A name with what SQL's format() and the summary's own placeholder would read as theirs.
    emr, secret = register(roles.MOA, [provider], name="Riverside 100% {count} EMR")
    headers = bearer(client, emr, secret)
    url = f"/api/v1/panels/{provider.pk}/entries/"
    before = AuditEvent.objects.count()
    body = client.get(url, {"page_size": 3}, **headers, REMOTE_ADDR="10.1.2.3").json()
    event = AuditEvent.objects.latest("pk")
    assert AuditEvent.objects.count() == before + 1
    assert (event.user, event.action, event.object_type, event.object_id) == (
        emr.user, "view", "providers.Provider", str(provider.pk))
    assert event.summary == f"API: panel of provider {provider.pk} read (3 patients) (API client Riverside 100% {{count}} EMR)"
    assert str(event.ip_address) == "10.1.2.3" and event.changes == {}
    # The last page, shorter; a search by PHN is recorded as one.
    client.get(body["next"], **headers)
    assert "read (2 patients)" in AuditEvent.objects.latest("pk").summary
    client.get(url, {"phn": api_world["patient"].phn}, **headers)
    assert AuditEvent.objects.latest("pk").action == "search"

