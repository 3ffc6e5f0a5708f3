"""Forms of the care pages: they parse what was typed; the rules are the services'."""

from django import forms

from care import risk
from care.models import (
    ACTION_STATUSES,
    ACTION_WHO,
    GOAL_STATUSES,
    MANUAL_TASK_KINDS,
    NEED_LEVELS,
    Contact,
    Programme,
    Task,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LEVEL_CHOICES = [("", "Any")] + [(str(n), label) for n, label in NEED_LEVELS]


class CaseloadFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, help_text="Name or PHN",
                        widget=forms.TextInput(attrs={"type": "search"}))
    programme = forms.ModelChoiceField(Programme.objects.filter(active=True), required=False, empty_label="Any")
    need_level = forms.TypedChoiceField(label="Need level", choices=LEVEL_CHOICES, coerce=int, required=False,
                                        empty_value=None)


class FindPatientForm(forms.Form):
    q = forms.CharField(label="Name or PHN", max_length=100)


class WorklistFilterForm(forms.Form):
    who = forms.ChoiceField(label="Whose", required=False, choices=[
        ("all", "Everything in my caseload"), ("mine", "Given to me"), ("queue", "The PCN team queue")])
    horizon = forms.TypedChoiceField(label="Due", required=False, coerce=int, empty_value=0, choices=[
        ("0", "Today and overdue"), ("7", "Within the next 7 days")])


class EnrolForm(forms.Form):
    programme = forms.ModelChoiceField(Programme.objects.filter(active=True), empty_label="Choose a programme")
    reason = forms.CharField(label="Reason for enrolling", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    need_level = forms.TypedChoiceField(label="Need level", choices=NEED_LEVELS, coerce=int, initial=2)


class DischargeForm(forms.Form):
    reason = forms.CharField(label="Reason for the discharge", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class NeedLevelForm(forms.Form):
    to_level = forms.TypedChoiceField(label="New need level", choices=NEED_LEVELS, coerce=int)
    reason = forms.CharField(label="Reason for the change", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class ContactForm(forms.Form):
    contacted_on = forms.DateField(label="Date", widget=DATE)
    channel = forms.ChoiceField(label="How", choices=Contact.Channel.choices)
    contacted = forms.ChoiceField(label="Who was contacted", choices=Contact.With.choices)
    minutes = forms.IntegerField(label="Minutes spent")
    outcome = forms.ChoiceField(choices=Contact.Outcome.choices)
    category = forms.ChoiceField(label="Activity category", choices=Contact.Category.choices)
    note = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    task = forms.IntegerField(required=False, widget=forms.HiddenInput)


class PlanForm(forms.Form):
    what_matters = forms.CharField(label="What matters to the person", max_length=4000,
                                   help_text="In their words: what they want to be able to do, what worries them.",
                                   widget=forms.Textarea(attrs={"rows": 4}))
    review_date = forms.DateField(label="Review date", widget=DATE)


class GoalForm(forms.Form):
    text = forms.CharField(label="Goal", required=False, max_length=500)
    target_date = forms.DateField(label="Target date", required=False, widget=DATE)
    status = forms.ChoiceField(label="Status", choices=GOAL_STATUSES, initial="not_started")


class ActionForm(forms.Form):
    text = forms.CharField(label="Action", required=False, max_length=500)
    who = forms.ChoiceField(label="Who", choices=[("", "Choose")] + ACTION_WHO, required=False)
    due = forms.DateField(label="Due", required=False, widget=DATE)
    status = forms.ChoiceField(label="Status", choices=ACTION_STATUSES, initial="to_do")


class CarerForm(forms.Form):
    name = forms.CharField(label="Carer's name", required=False, max_length=200)
    relationship = forms.CharField(label="Relationship", required=False, max_length=100)
    phone = forms.CharField(label="Phone", required=False, max_length=30)
    email = forms.CharField(label="Email", required=False, max_length=200)


GoalFormSet = forms.formset_factory(GoalForm, extra=2)
ActionFormSet = forms.formset_factory(ActionForm, extra=2)
CarerFormSet = forms.formset_factory(CarerForm, extra=1)


def filled_rows(formset, key: str) -> list[dict]:
    """The rows a person filled in (a blank spare row is not a goal), as plain dicts with ISO dates."""
    rows = []
    for form in formset.forms:
        data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
        if not data or not any(v for k, v in data.items() if k not in ("status",)):
            continue
        rows.append({k: (v.isoformat() if hasattr(v, "isoformat") else (v or "")) for k, v in data.items()})
    return rows


class TaskForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(label="Kind", choices=[c for c in Task.Kind.choices if c[0] in MANUAL_TASK_KINDS],
                             initial=Task.Kind.CALL)
    due_on = forms.DateField(label="Due", widget=DATE)
    assigned_to = forms.ModelChoiceField(None, label="Give to", required=False, empty_label="The PCN team queue")

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = colleagues
        self.fields["assigned_to"].label_from_instance = lambda u: u.get_full_name() or u.username


class AssignForm(forms.Form):
    assigned_to = forms.ModelChoiceField(None, label="Give to", required=False, empty_label="The PCN team queue")

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = colleagues
        self.fields["assigned_to"].label_from_instance = lambda u: u.get_full_name() or u.username


class CareProfileForm(forms.Form):
    diagnoses = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
                                help_text="Diagnoses the care coordinator should know, one a line.")
    deficits = forms.MultipleChoiceField(
        label="Frailty deficits recorded (adults: electronic frailty index)", required=False,
        choices=risk.EFI_DEFICITS, widget=forms.CheckboxSelectMultiple)
    body_systems = forms.MultipleChoiceField(
        label="Body systems with a chronic condition (children: PMCA)", required=False,
        choices=risk.PMCA_BODY_SYSTEMS, widget=forms.CheckboxSelectMultiple)
    progressive = forms.BooleanField(label="A progressive condition", required=False)
    technology_dependent = forms.BooleanField(label="Dependent on technology for 6 months or more", required=False)
    malignancy = forms.BooleanField(label="A malignancy", required=False)
    complexity_score = forms.TypedChoiceField(
        label="Complexity score", required=False, coerce=int, empty_value=None,
        choices=[("", "Not scored")] + [(str(n), str(n)) for n in range(1, 6)],
        help_text="Your judgement, 1 (least complex) to 5 (most).")
    needs_pvp = forms.BooleanField(label="Visits need pre-visit planning", required=False)
