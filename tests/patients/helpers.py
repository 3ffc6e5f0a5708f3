import uuid

from registries.models import Community
from tests.factories import next_phn


def registration_post(members=None, **overrides) -> dict:
    """The POST of the public registration form: a household with the given members."""
    members = members or [{"first_name": "Ana", "last_name": "Lopez", "date_of_birth": "1985-03-02", "phn": next_phn()}]
    data = {
        "submission_token": str(uuid.uuid4()),
        "phone": "250-555-0142",
        "email": "ana.lopez@example.org",
        "address": "12 River Road",
        "postal_code": "V2C 1A1",
        "community": str(Community.objects.get(name="Kamloops").pk),
        "languages": ["en", "es"],
        "preferred_provider_gender": "F",
        "factors": ["chronic_condition"],
        "consent": "on",
        "confirm": "1",  # the answers checked: saved (a plain "submit" shows the check page)
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "12",
    }
    for i, m in enumerate(members):
        for k, v in m.items():
            data[f"members-{i}-{k}"] = v
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
