import datetime

from django import forms

from registries.models import PanelConflict
from registries.panels.file import POSTAL_RE
from registries.phn import normalize_phn, phn_error
from registries.vocab import GENDERS

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class PanelUploadForm(forms.Form):
    file = forms.FileField(label="Panel file (CSV)", help_text="Exported from your EMR or billing software: one row per patient.",
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 200 MB; load it with the load_panel command instead.")
        if f.size == 0:
            raise forms.ValidationError("The file is empty.")
        return f


class AddPatientForm(forms.Form):
    phn = forms.CharField(label="Personal Health Number", max_length=14, help_text="10 digits, for example 9123 456 789")
    last_name = forms.CharField(max_length=100)
    first_name = forms.CharField(max_length=100)
    date_of_birth = forms.DateField(label="Date of birth", widget=forms.DateInput(attrs={"type": "date"}),
                                    input_formats=["%Y-%m-%d"])
    gender = forms.ChoiceField(choices=[("", "Not stated")] + GENDERS, required=False)
    postal_code = forms.CharField(max_length=7, required=False)

    def clean_phn(self):
        phn = normalize_phn(self.cleaned_data["phn"])
        error = phn_error(phn)
        if error:
            raise forms.ValidationError(error)
        return phn

    def clean_date_of_birth(self):
        dob = self.cleaned_data["date_of_birth"]
        if dob > datetime.date.today():
            raise forms.ValidationError("The date of birth is in the future.")
        return dob

    def clean_postal_code(self):
        value = self.cleaned_data["postal_code"].strip().upper()
        if not value:
            return ""
        m = POSTAL_RE.match(value)
        if not m:
            raise forms.ValidationError("This is not a Canadian postal code (A1A 1A1).")
        return f"{m.group(1)} {m.group(2)}"


class RemovePatientForm(forms.Form):
    REASONS = [
        ("", "Choose a reason"),
        ("Moved away", "Moved away"),
        ("Transferred to another provider", "Transferred to another provider"),
        ("Deceased", "Deceased"),
        ("Patient asked to leave the panel", "Patient asked to leave the panel"),
        ("Not a patient of this provider", "Not a patient of this provider (entered in error)"),
        ("other", "Other (describe below)"),
    ]
    reason = forms.ChoiceField(choices=REASONS)
    detail = forms.CharField(label="Details", max_length=150, required=False)

    def clean(self):
        data = super().clean()
        if data.get("reason") == "other" and not data.get("detail", "").strip():
            self.add_error("detail", "Describe the reason.")
        return data

    def reason_text(self):
        reason, detail = self.cleaned_data["reason"], self.cleaned_data.get("detail", "").strip()
        if reason == "other":
            return detail
        return f"{reason}: {detail}" if detail else reason


class ResolveConflictForm(forms.Form):
    resolution = forms.ChoiceField(choices=PanelConflict.Resolution.choices, widget=forms.RadioSelect)
    note = forms.CharField(max_length=300, required=False, label="Note")


class ResolveFlagForm(forms.Form):
    note = forms.CharField(max_length=300, required=False, label="Outcome (for example: already attached, withdrawn)")
