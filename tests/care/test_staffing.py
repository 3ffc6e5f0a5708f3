"""A care coordinator who leaves a PCN: their open tasks there go to its team queue at once
(the PCN taken away, the role taken away, the account deactivated), or on the morning
sweep for what no signal tells; the task rules give nothing new to someone who left."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from guardian.models import GroupObjectPermission
from guardian.shortcuts import assign_perm

from attachment.core import access, roles
from attachment.core.models import AuditEvent
from care import generator, hospital, staffing
from care.models import Task
from tests.care.conftest import actor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def task(pcn, who, *, done=False, title="Call the family back"):
    from django.utils import timezone

    return Task.objects.create(pcn=pcn, title=title, kind="call", due_on=datetime.date(2026, 12, 3), assigned_to=who,
                               done_at=timezone.now() if done else None)


def holder(pk) -> int | None:
    return Task.objects.get(pk=pk).assigned_to_id


def team_member(pcn):
    """A care coordinator who holds `pcn` through a group (the team), not in their own name."""
    member = UserFactory(username="team-member")
    roles.add_role(member, roles.CARE_COORDINATOR)
    team = Group.objects.create(name="Kamloops care team")
    team.user_set.add(member)
    assign_perm("registries.coordinate_care_in_pcn", team, pcn)
    return member, team


def test_the_sql_question_is_the_access_modules_for_every_kind_of_account(kamloops_pcn, shuswap_pcn,
                                                                         care_coordinator, administrator):
    by_group, _ = team_member(kamloops_pcn)
    no_role = UserFactory(username="perm-no-role")
    assign_perm("registries.coordinate_care_in_pcn", no_role, kamloops_pcn)
    departed = UserFactory(username="departed", is_active=False)
    roles.grant_pcn(departed, kamloops_pcn)
    superuser_with_role = UserFactory(username="root-care", is_superuser=True)
    roles.add_role(superuser_with_role, roles.CARE_COORDINATOR)
    people = [care_coordinator, by_group, no_role, departed, superuser_with_role, administrator, UserFactory()]
    with connection.cursor() as cursor:
        for user in people:
            for pcn in (kamloops_pcn, shuswap_pcn):
                cursor.execute(f"SELECT {access.care_coordinates_sql(str(user.pk), str(pcn.pk))}")
                expected = user.is_active and access.care_pcns(user).filter(pk=pcn.pk).exists()
                assert cursor.fetchone()[0] == expected, (user.username, pcn.name)
    assert access.care_pcns(by_group).filter(pk=kamloops_pcn.pk).exists()  # the group's grant counts


def test_a_pcn_taken_away_returns_its_open_tasks_to_the_team_queue(care_coordinator, kamloops_pcn, shuswap_pcn,
                                                                  colleague):
    roles.grant_pcn(care_coordinator, shuswap_pcn)
    here, there, done = task(kamloops_pcn, care_coordinator), task(shuswap_pcn, care_coordinator), \
        task(kamloops_pcn, care_coordinator, done=True)
    theirs = task(kamloops_pcn, colleague)
    roles.revoke_pcn(care_coordinator, kamloops_pcn)
    assert holder(here.pk) is None  # the Kamloops team's queue
    assert holder(there.pk) == care_coordinator.pk  # Shuswap is still theirs
    assert holder(done.pk) == care_coordinator.pk and holder(theirs.pk) == colleague.pk
    event = AuditEvent.objects.get(object_type="auth.User", object_id=str(care_coordinator.pk))
    assert event.summary.startswith("1 open care task in Kamloops") and event.changes == {"pcn": kamloops_pcn.pk}


def test_a_deactivated_account_or_a_role_taken_away_returns_every_open_task(care_coordinator, colleague,
                                                                           kamloops_pcn):
    mine, yours = task(kamloops_pcn, care_coordinator), task(kamloops_pcn, colleague)
    care_coordinator.is_active = False
    care_coordinator.save()
    assert holder(mine.pk) is None
    colleague.groups.remove(Group.objects.get(name=roles.CARE_COORDINATOR))
    assert holder(yours.pk) is None


def test_the_admin_screen_taking_the_pcn_away_hands_the_work_on(client, administrator, care_coordinator, kamloops_pcn):
    from tests.conftest import login
    from tests.foundation.test_admin_users import change_url, form_post

    open_task = task(kamloops_pcn, care_coordinator)
    login(client, administrator)
    response = client.post(change_url(care_coordinator), form_post(client, care_coordinator, coordinates_care=[]))
    assert response.status_code == 302, response.content[:500]
    assert holder(open_task.pk) is None


def test_the_morning_sweep_catches_what_no_signal_tells(kamloops_pcn, today):
    member, team = team_member(kamloops_pcn)
    open_task = task(kamloops_pcn, member)
    GroupObjectPermission.objects.filter(group=team).delete()  # the team's PCN taken from the group
    assert holder(open_task.pk) == member.pk
    assert generator.make_due_tasks(today)["released"] == 1
    assert holder(open_task.pk) is None
    assert staffing.release_tasks() == 0  # idempotent


def test_the_rules_give_a_stay_of_someone_who_left_to_the_team_queue(patient, care_coordinator, colleague,
                                                                    kamloops_pcn, today):
    admitted = today - datetime.timedelta(days=3)
    stay = hospital.record_admission(patient, hospital="Royal Inland", admitted_on=admitted, reason="Fall",
                                     actor=actor(care_coordinator), today=admitted)
    roles.revoke_pcn(care_coordinator, kamloops_pcn)
    generator.make_due_tasks(today)
    calls = Task.objects.filter(patient=patient, kind=Task.Kind.HOSPITAL_CALL, done_at__isnull=True)
    assert [c.assigned_to_id for c in calls] == [None]
    hospital.record_discharge(stay, discharged_on=today, actor=actor(colleague), today=today)
    # The follow-ups of the discharge, recorded by a colleague, still come from the stay's recorder: the queue.
    assert set(Task.objects.filter(patient=patient, done_at__isnull=True, provider__isnull=True)
               .values_list("assigned_to_id", flat=True)) == {None}
