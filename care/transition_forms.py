"""Forms of hospital stays, pre-visit planning and MDT meetings: they parse; the rules are the services'."""

from django import forms

from care.forms import DATE
from care.models import PVP_ITEMS


class AdmissionForm(forms.Form):
    hospital = forms.CharField(label="Hospital", max_length=200)
    admitted_on = forms.DateField(label="Admitted on", widget=DATE)
    reason = forms.CharField(label="Why", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class DischargeFromHospitalForm(forms.Form):
    discharged_on = forms.DateField(label="Discharged on", widget=DATE)
    summary_received = forms.BooleanField(label="The discharge summary has been received", required=False)
    note = forms.CharField(label="Note", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text="What the hospital said on discharge (a verbal report, medicines changed).")


class CloseStayForm(forms.Form):
    reason = forms.CharField(label="Why the stay is closed", max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="For example: followed up, settled at home; or recorded in error.")


class PlanVisitForm(forms.Form):
    visit_on = forms.DateField(label="Visit date", widget=DATE)
    purpose = forms.CharField(label="Purpose of the visit", required=False, max_length=200)


class PvpItemForm(forms.Form):
    item = forms.ChoiceField(choices=PVP_ITEMS, widget=forms.HiddenInput)
    done = forms.BooleanField(label="Done", required=False)
    note = forms.CharField(label="What was found", required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class PvpNoteForm(forms.Form):
    text = forms.CharField(label="Add to the PVP log", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class MeetingForm(forms.Form):
    pcn = forms.ModelChoiceField(None, label="PCN", empty_label=None)
    title = forms.CharField(max_length=200, initial="Complex care MDT")
    meets_at = forms.DateTimeField(label="Date and time", widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                                     format="%Y-%m-%dT%H:%M"))
    location = forms.CharField(label="Where", required=False, max_length=200)

    def __init__(self, *args, pcns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pcn"].queryset = pcns


class AgendaForm(forms.Form):
    patient = forms.CharField(label="Patient on the caseload (name or PHN)", max_length=100)
    reason = forms.CharField(label="Why they are discussed", max_length=300)


class AttendanceForm(forms.Form):
    attendees = forms.CharField(label="Who came (one a line: name, role)", max_length=4000,
                                widget=forms.Textarea(attrs={"rows": 4}))


class OutcomeForm(forms.Form):
    outcome = forms.CharField(label="Outcome", max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class ActionForm(forms.Form):
    title = forms.CharField(label="Action", max_length=200)
    due_on = forms.DateField(label="Due", widget=DATE)
    assigned_to = forms.ModelChoiceField(None, label="Give to", required=False, empty_label="The PCN team queue")

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = colleagues
        self.fields["assigned_to"].label_from_instance = lambda u: u.get_full_name() or u.username
