"""The reports' filters: period, division (within the reader's scope), PCN, community."""

from django import forms

from registries.models import PCN, Community
from reports.selectors import GRANULARITY, PERIODS

DEFAULT_WEEKS = 13


class ReportFilterForm(forms.Form):
    division = forms.ModelChoiceField(queryset=None, empty_label=None, label="Division")
    pcn = forms.ModelChoiceField(queryset=PCN.objects.none(), required=False, label="PCN",
                                 empty_label="All PCNs")
    community = forms.ModelChoiceField(queryset=Community.objects.none(), required=False, label="Community",
                                       empty_label="All communities")
    weeks = forms.TypedChoiceField(choices=PERIODS, coerce=int, initial=DEFAULT_WEEKS, required=False, label="Period")
    by = forms.ChoiceField(choices=GRANULARITY, initial="week", required=False, label="Group by")

    def __init__(self, data, *, divisions):
        data = data.copy()
        if not data.get("division") and divisions:
            data["division"] = str(divisions[0].pk)
        # The form is always bound, so an absent choice would show the list's first option
        # while the report used the default: put the default in the data the box shows.
        for name in ("weeks", "by"):
            if not data.get(name):
                data[name] = str(self.base_fields[name].initial)
        super().__init__(data)
        self.fields["division"].queryset = divisions
        division_id = data.get("division")
        if division_id and str(division_id).isdigit():
            self.fields["pcn"].queryset = PCN.objects.filter(communities__division_id=division_id).distinct()
            self.fields["community"].queryset = Community.objects.filter(division_id=division_id)

    def clean_weeks(self):
        return self.cleaned_data.get("weeks") or DEFAULT_WEEKS

    def clean_by(self):
        return self.cleaned_data.get("by") or "week"

    def clean(self):
        cleaned = super().clean()
        pcn, community = cleaned.get("pcn"), cleaned.get("community")
        if pcn and community and community.pcn_id != pcn.pk:
            self.add_error("community", f"{community} is not in {pcn}. Choose a community of that PCN, or all PCNs.")
        return cleaned


class ForecastForm(ReportFilterForm):
    extra = forms.IntegerField(
        min_value=0, max_value=100_000, required=False, initial=0, label="Extra places a month",
        help_text="New places providers would add each month, on top of today's rate.",
    )

    def __init__(self, data, *, divisions):
        super().__init__(data, divisions=divisions)
        # The period is the stretch of recent weeks the rates are measured over; a
        # projection has no weekly or monthly grouping.
        self.fields["weeks"].label = "Rates from"
        del self.fields["by"]

    def clean_extra(self):
        return self.cleaned_data.get("extra") or 0
