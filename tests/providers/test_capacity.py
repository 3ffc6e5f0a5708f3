import pytest

from attachment.core.models import AuditEvent
from providers.capacity import declare_capacity, latest_declaration, take_places
from providers.models import CapacityDeclaration
from providers.selectors import capacity_history

pytestmark = pytest.mark.django_db


def test_declarations_are_kept_as_history_and_the_newest_sets_open_capacity(provider, moa):
    declare_capacity(provider, accepting=True, new_patients=12, by=moa, monthly_intake=4, desired_panel_size=1200)
    take_places(provider.pk, 2)
    declare_capacity(provider, accepting=True, new_patients=5, by=moa, complexity="low", note="Summer locum leaves")
    declare_capacity(provider, accepting=False, new_patients=9, by=moa)
    provider.refresh_from_db()
    assert (provider.accepting, provider.open_capacity) == (False, 0)
    history = list(capacity_history(provider))
    assert [(d.accepting, d.new_patients) for d in history] == [(False, 0), (True, 5), (True, 12)]
    assert history[1].note == "Summer locum leaves" and history[2].declared_by == moa
    assert latest_declaration(provider) == history[0]
    assert CapacityDeclaration.objects.filter(provider=provider).count() == 3
    assert AuditEvent.objects.filter(object_type="providers.Provider", object_id=str(provider.pk)).count() == 3
