"""What the API shows of each record, and what it takes in. Writes go through services."""

from rest_framework import serializers

from attachment.workflow.models import MatchRun, Offer, Proposal
from patients.models import Patient, Registration
from providers.models import CapacityDeclaration, Clinic, Provider
from registries.models import PanelEntry
from registries.vocab import GENDERS


class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = Patient
        fields = ["id", "phn", "first_name", "last_name", "date_of_birth", "gender", "is_primary_contact"]


class RegistrationSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    members = MemberSerializer(many=True, read_only=True)

    class Meta:
        model = Registration
        fields = ["id", "reference_code", "status", "source", "community", "community_name", "division",
                  "household_size", "members", "languages", "needs", "priority_factors", "effective_priority",
                  "preferred_provider_gender", "registered_at", "status_changed_at", "suspended_at",
                  "address", "postal_code", "phone", "email"]
        read_only_fields = fields


class ClinicBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Clinic
        fields = ["id", "name", "community", "address", "phone"]


class ProviderSerializer(serializers.ModelSerializer):
    clinics = ClinicBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Provider
        fields = ["id", "kind", "practitioner_number", "first_name", "last_name", "gender", "languages",
                  "accepting", "open_capacity", "declines_needs", "clinics", "communities"]
        read_only_fields = fields


class DeclarationSerializer(serializers.ModelSerializer):
    class Meta:
        model = CapacityDeclaration
        fields = ["id", "accepting", "new_patients", "monthly_intake", "desired_panel_size", "complexity", "note",
                  "declared_at"]
        read_only_fields = ["id", "declared_at"]


class CapacitySerializer(serializers.Serializer):
    provider = serializers.IntegerField()
    accepting = serializers.BooleanField()
    open_capacity = serializers.IntegerField()
    declaration = DeclarationSerializer(allow_null=True)


class PanelSerializer(serializers.ModelSerializer):
    panel_size = serializers.IntegerField(read_only=True)

    class Meta:
        model = Provider
        fields = ["id", "kind", "practitioner_number", "first_name", "last_name", "panel_size"]
        read_only_fields = fields


class PanelEntrySerializer(serializers.ModelSerializer):
    patient = MemberSerializer(read_only=True)

    class Meta:
        model = PanelEntry
        fields = ["id", "provider", "patient", "since", "source", "last_visit", "ended_at", "end_reason"]
        read_only_fields = fields


def panel_entry_rows(rows) -> list[dict]:
    """PanelEntrySerializer's output for a page of open entries, from the page's SQL rows
    (registries.panels.selectors.ENTRY_PAGE_COLUMNS): a panel page is the API's busiest
    list, and DRF's field machinery is most of its time. tests/api check that the two agree
    field for field."""
    return [{
        "id": entry_id, "provider": provider_id,
        "patient": {"id": patient_id, "phn": phn, "first_name": first_name, "last_name": last_name,
                    "date_of_birth": date_of_birth.isoformat(), "gender": gender, "is_primary_contact": primary},
        "since": since.isoformat(), "source": source,
        "last_visit": last_visit.isoformat() if last_visit else None,
        "ended_at": None, "end_reason": end_reason,
    } for (entry_id, provider_id, since, source, last_visit, end_reason,
           patient_id, phn, first_name, last_name, date_of_birth, gender, primary) in rows]


class AddPatientSerializer(serializers.Serializer):
    phn = serializers.CharField(max_length=20)
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    date_of_birth = serializers.DateField()
    gender = serializers.ChoiceField(choices=GENDERS, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=7, required=False, allow_blank=True, default="")


class AddPatientResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=["added", "review"])
    message = serializers.CharField()
    entry = PanelEntrySerializer(allow_null=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class MeetAndGreetSerializer(serializers.Serializer):
    at = serializers.DateTimeField()


class OfferSerializer(serializers.ModelSerializer):
    reference_code = serializers.CharField(source="registration.reference_code", read_only=True)
    household_size = serializers.IntegerField(source="registration.household_size", read_only=True)

    class Meta:
        model = Offer
        fields = ["id", "status", "reference_code", "household_size", "provider", "clinic", "places", "sent_at",
                  "expires_at", "meet_and_greet_at", "clinic_answered_at", "decline_reason"]
        read_only_fields = fields


class HouseholdMemberSerializer(serializers.Serializer):
    name = serializers.CharField()
    age = serializers.IntegerField()
    primary = serializers.BooleanField()


class HouseholdSerializer(serializers.Serializer):
    reference_code = serializers.CharField()
    community = serializers.CharField()
    size = serializers.IntegerField()
    members = HouseholdMemberSerializer(many=True)
    needs = serializers.ListField(child=serializers.CharField())
    languages = serializers.ListField(child=serializers.CharField())
    phone = serializers.CharField()
    email = serializers.CharField()


class OfferDetailSerializer(OfferSerializer):
    household = serializers.SerializerMethodField()

    class Meta(OfferSerializer.Meta):
        fields = OfferSerializer.Meta.fields + ["household"]
        read_only_fields = fields

    def get_household(self, offer) -> HouseholdSerializer:
        return self.context["household"]


class MatchRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = MatchRun
        fields = ["id", "status", "phase", "parameters", "figures", "error", "started_at", "finished_at"]
        read_only_fields = fields


class StartRunSerializer(serializers.Serializer):
    division = serializers.IntegerField()
    community = serializers.IntegerField(required=False, allow_null=True)
    supersede = serializers.BooleanField(default=True)


class ProposalSerializer(serializers.ModelSerializer):
    reference_code = serializers.CharField(source="registration.reference_code", read_only=True)
    community = serializers.CharField(source="registration.community.name", read_only=True)
    household_size = serializers.IntegerField(source="registration.household_size", read_only=True)

    class Meta:
        model = Proposal
        fields = ["id", "match_run", "reference_code", "community", "household_size", "provider", "places",
                  "status", "created_at"]
        read_only_fields = fields


class ReportTableSerializer(serializers.Serializer):
    caption = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField())
    total = serializers.ListField(allow_null=True)


class ReportSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    tables = ReportTableSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())


class ReportsSerializer(serializers.Serializer):
    division = serializers.IntegerField()
    area = serializers.CharField()
    weeks = serializers.IntegerField()
    by = serializers.CharField()
    built_at = serializers.DateTimeField(allow_null=True)
    reports = ReportSerializer(many=True)
