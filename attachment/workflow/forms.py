"""Forms of the attachment workflow. Validation is here; the services re-check state under locks."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from attachment.core import access
from patients.dates import DateOfBirthField, DatePartsWidget
from registries.models import Community


class RunForm(forms.Form):
    division = forms.ModelChoiceField(queryset=None, label="Division", empty_label=None)
    community = forms.ModelChoiceField(
        queryset=None, required=False, label="Community",
        empty_label="All communities of the division",
        help_text="Leave empty to match the whole division.",
    )
    # Checked by default: what a coordinator expects of "run matching again" is that
    # everyone waiting is considered, not only those the last run left out.
    supersede = forms.BooleanField(
        required=False, initial=True,
        label="First return the unsent proposals of earlier runs in this area",
        help_text="Their places go back to the providers and those households are matched again with everyone "
                  "waiting, so a household registered since with a higher priority is served first. "
                  "Offers already sent are kept.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        divisions = access.coordinator_divisions(user)
        self.fields["division"].queryset = divisions
        self.fields["community"].queryset = (
            Community.objects.filter(division__in=divisions).select_related("division").order_by("name")
        )

    def clean(self):
        data = super().clean()
        division, community = data.get("division"), data.get("community")
        if division and community and community.division_id != division.pk:
            self.add_error("community", f"{community} is not in {division}.")
        return data


class ProposalFilterForm(forms.Form):
    community = forms.ModelChoiceField(queryset=None, required=False, empty_label="All my communities")
    run = forms.IntegerField(required=False, min_value=1, label="Run number")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Community.objects.filter(
            division__in=access.coordinator_divisions(user)
        ).order_by("name")


class SkipForm(forms.Form):
    reason = forms.CharField(
        max_length=300, label="Why skip this proposal?",
        help_text="For example: the household asked to wait, or the provider is too far for them.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    never_again = forms.BooleanField(
        required=False, label="Never propose this provider for this household again",
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        max_length=300, label="Reason for declining", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The coordinator reads this; this provider will not be proposed for this household again.",
    )


class MeetAndGreetForm(forms.Form):
    at = forms.DateTimeField(
        label="Meet-and-greet date and time",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean_at(self):
        at = self.cleaned_data["at"]
        if at < timezone.now() - datetime.timedelta(days=1):
            raise forms.ValidationError("Enter a date that has not passed.")
        return at


class PatientAnswerForm(forms.Form):
    """The patient's answer as a coordinator records it (staff page, English)."""

    answer = forms.ChoiceField(
        label="The patient's answer",
        choices=[("yes", "Yes, the household accepts this provider"), ("no", "No, the household declines")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        max_length=300, required=False, label="Reason (when declining)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if data.get("answer") == "no" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why the household declines.")
        return data


class HouseholdAnswerForm(forms.Form):
    """The household's own answer, on the public offer page (in the household's language)."""

    messages_name_the_field = True

    answer = forms.ChoiceField(
        label=_("Do you accept this provider?"),
        choices=[("yes", _("Yes, my household accepts this provider")), ("no", _("No, we decline this offer"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether you accept this provider"),
                        "invalid_choice": _("Choose whether you accept this provider")},
    )
    reason = forms.CharField(
        max_length=300, required=False, label=_("If you decline, tell us why"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Your attachment coordinator reads this. You keep your place on the waitlist."),
        error_messages={"max_length": _("Your reason must be 300 characters or fewer")},
    )

    def clean(self):
        data = super().clean()
        if data.get("answer") == "no" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Tell us why you decline this offer"))
        return data


class WithdrawForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Why withdraw this offer?", widget=forms.Textarea(attrs={"rows": 2}))


class OfferLookupForm(forms.Form):
    messages_name_the_field = True
    reference_code = forms.CharField(
        max_length=16, label=_("Reference code"), help_text=_("The 8-character code you got when you registered."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
        error_messages={"required": _("Enter your reference code"),
                        "max_length": _("Enter the reference code of 8 characters you were given")},
    )
    date_of_birth = DateOfBirthField(
        label=_("Date of birth of anyone in your household"), widget=DatePartsWidget(attrs={"autocomplete": "off"}),
    )
