from django import forms
from django.contrib.auth import get_user_model

from providers.models import CapacityDeclaration, Clinic, ClinicMembership, Provider
from registries.models import Community
from registries.vocab import LANGUAGES, NEEDS, PROVIDER_GENDERS

WEEKDAYS = [("mon", "Monday"), ("tue", "Tuesday"), ("wed", "Wednesday"), ("thu", "Thursday"),
            ("fri", "Friday"), ("sat", "Saturday"), ("sun", "Sunday")]


class CapacityForm(forms.Form):
    accepting = forms.TypedChoiceField(
        label="Are you accepting new patients?", choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda v: v == "yes", widget=forms.RadioSelect,
    )
    new_patients = forms.IntegerField(
        label="New patients you can take now", min_value=0, max_value=5000,
        help_text="0 when not accepting. Places already proposed or offered are subtracted from this.",
    )
    monthly_intake = forms.IntegerField(label="New patients per month, ongoing", min_value=0, max_value=1000, initial=0)
    desired_panel_size = forms.IntegerField(label="Desired panel size", min_value=0, max_value=10000, required=False)
    complexity = forms.ChoiceField(label="Complexity you will take on", choices=CapacityDeclaration.Complexity.choices,
                                   initial=CapacityDeclaration.Complexity.MODERATE)
    note = forms.CharField(label="Note (optional)", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("accepting") is False and data.get("new_patients"):
            self.add_error("new_patients", "When you are not accepting new patients, the number must be 0.")
        if data.get("accepting") is True and data.get("new_patients") == 0:
            self.add_error("new_patients", "Enter how many new patients you can take (more than 0), or answer No.")
        return data


class ProviderProfileForm(forms.Form):
    kind = forms.ChoiceField(label="Type", choices=Provider.Kind.choices)
    practitioner_number = forms.CharField(label="Practitioner number", max_length=10)
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    gender = forms.ChoiceField(choices=[("", "Prefer not to say")] + PROVIDER_GENDERS, required=False)
    languages = forms.MultipleChoiceField(choices=LANGUAGES, widget=forms.CheckboxSelectMultiple, required=False,
                                          label="Languages you provide care in")
    communities = forms.ModelMultipleChoiceField(queryset=Community.objects.order_by("name"), required=False,
                                                 widget=forms.SelectMultiple(attrs={"size": 8}), label="Communities served")
    declines_needs = forms.MultipleChoiceField(choices=NEEDS, widget=forms.CheckboxSelectMultiple, required=False,
                                               label="Needs you do not take on")

    def __init__(self, *args, provider=None, **kwargs):
        self.provider = provider
        super().__init__(*args, **kwargs)

    def clean_practitioner_number(self):
        number = self.cleaned_data["practitioner_number"].strip()
        taken = Provider.objects.filter(practitioner_number=number)
        if self.provider:
            taken = taken.exclude(pk=self.provider.pk)
        if taken.exists():
            raise forms.ValidationError("Another provider has this practitioner number.")
        return number


class ClinicForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(choices=LANGUAGES, widget=forms.CheckboxSelectMultiple, required=False,
                                          label="Languages spoken at the clinic")

    class Meta:
        model = Clinic
        fields = ["name", "community", "address", "postal_code", "phone", "fax", "email", "languages",
                  "accessibility_notes"]
        widgets = {"accessibility_notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hours = (self.instance.hours or {}) if self.instance else {}
        for code, name in WEEKDAYS:
            self.fields[f"hours_{code}"] = forms.CharField(
                label=name, max_length=60, required=False, initial=hours.get(code, ""),
                help_text="For example 08:30-17:00; leave empty when closed." if code == "mon" else "",
            )

    def hours(self):
        return {code: self.cleaned_data.get(f"hours_{code}", "").strip() for code, _ in WEEKDAYS}

    def hour_fields(self):
        return [self[f"hours_{code}"] for code, _ in WEEKDAYS]


class EndorseForm(forms.Form):
    delegate = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label="Staff member")

    def __init__(self, *args, delegates=None, **kwargs):
        super().__init__(*args, **kwargs)
        if delegates is not None:
            self.fields["delegate"].queryset = delegates
        self.fields["delegate"].label_from_instance = lambda u: f"{u.get_full_name() or u.username} ({u.username})"


class AskProviderForm(forms.Form):
    provider = forms.ModelChoiceField(queryset=Provider.objects.none(), label="Provider",
                                      help_text="The provider is emailed and confirms; nothing changes until then.")

    def __init__(self, *args, providers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if providers is not None:
            self.fields["provider"].queryset = providers


class StaffForm(forms.Form):
    username = forms.CharField(label="Username or email of the staff member", max_length=150)
    role = forms.ChoiceField(choices=ClinicMembership.Role.choices)

    def clean_username(self):
        value = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=value).first() or get_user_model().objects.filter(
            email__iexact=value).first()
        if user is None:
            raise forms.ValidationError("No staff account has this username or email; an administrator creates accounts.")
        self.cleaned_data["user"] = user
        return value
