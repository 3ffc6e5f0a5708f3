"""Who sees which patient's care record: the scope functions of attachment.core.access."""

import pytest
from django.http import Http404

from attachment.core import access, roles
from registries.models import PanelEntry
from tests.care.conftest import on_panel

pytestmark = pytest.mark.django_db


def test_a_care_coordinator_sees_the_open_panels_of_their_pcn_and_nothing_else(
    care_coordinator, patient, shuswap_patient, provider, second_provider
):
    colleague_patient = on_panel(second_provider)
    assert set(access.care_patients(care_coordinator)) == {patient, colleague_patient}
    assert access.care_patient_to_read(care_coordinator, patient.pk) == patient
    with pytest.raises(Http404):
        access.care_patient_to_read(care_coordinator, shuswap_patient.pk)


def test_a_patient_who_leaves_the_panel_leaves_the_scope(care_coordinator, patient):
    from django.utils import timezone

    PanelEntry.objects.filter(patient=patient).update(ended_at=timezone.now(), end_reason="Moved away")
    assert list(access.care_patients(care_coordinator)) == []


def test_several_pcns(care_coordinator, shuswap_pcn, patient, shuswap_patient):
    roles.grant_pcn(care_coordinator, shuswap_pcn)
    assert set(access.care_patients(care_coordinator)) == {patient, shuswap_patient}
    roles.revoke_pcn(care_coordinator, shuswap_pcn)
    assert set(access.care_patients(care_coordinator)) == {patient}


def test_the_pcn_permission_without_the_role_gives_nothing(kamloops_pcn, patient):
    from guardian.shortcuts import assign_perm

    from tests.factories import UserFactory

    user = UserFactory()
    assign_perm("registries.coordinate_care_in_pcn", user, kamloops_pcn)
    assert list(access.care_patients(user)) == []


def test_providers_and_their_delegates_see_their_own_panel_only(
    provider_user, moa, other_moa, patient, second_provider, shuswap_patient
):
    theirs = on_panel(second_provider)
    assert list(access.care_patients(provider_user)) == [patient]
    assert list(access.care_patients(moa)) == [patient]
    assert list(access.care_patients(other_moa)) == [theirs]
    assert list(access.care_profile_patients(moa)) == [patient]
    with pytest.raises(Http404):
        access.care_patient_to_read(other_moa, patient.pk)


def test_managers_coordinators_and_coordinators_of_the_waitlist_see_nobody(manager, coordinator, patient):
    assert list(access.care_patients(manager)) == []
    assert list(access.care_patients(coordinator)) == []


def test_a_care_coordinator_records_no_care_profile(care_coordinator, patient):
    assert list(access.care_profile_patients(care_coordinator)) == []


def test_colleagues_are_the_coordinators_of_the_same_pcns(care_coordinator, colleague, shuswap_coordinator):
    assert set(access.care_colleagues(care_coordinator)) == {care_coordinator, colleague}
