"""Forms of the referral pages: they parse what was typed; the rules are care.referrals'."""

from django import forms

from care.forms import DATE
from care.referral_models import Referral, ReferralStep, ReferralType


class ReferralForm(forms.Form):
    type = forms.ModelChoiceField(ReferralType.objects.filter(active=True), label="Kind of referral",
                                  empty_label="Choose a kind of referral")
    service = forms.CharField(label="Referred to", max_length=200,
                              help_text="The service, clinic or person (e.g. Dr. Amani, geriatric medicine, RIH)")
    reason = forms.CharField(label="Reason for the referral", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    priority = forms.ChoiceField(choices=Referral.Priority.choices, initial="routine")
    sent_on = forms.DateField(label="Sent on", widget=DATE)
    records_sent = forms.BooleanField(label="Records sent with the referral", required=False)


class MoveForm(forms.Form):
    """The next step of one referral: which, when, and what that step needs."""

    to_step = forms.ChoiceField(label="Next step")
    on = forms.DateField(label="Date of this step", widget=DATE)
    appointment_on = forms.DateField(label="Appointment date", required=False, widget=DATE,
                                     help_text="When booking an appointment")
    reason = forms.CharField(label="Reason", required=False, max_length=300,
                             help_text="When it is rejected or cancelled",
                             widget=forms.Textarea(attrs={"rows": 2}))
    records_sent = forms.BooleanField(label="Records sent", required=False)

    def __init__(self, *args, moves=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_step"].choices = [(s, ReferralStep(s).label) for s in moves]


class OverdueFilterForm(forms.Form):
    type = forms.ModelChoiceField(ReferralType.objects.all(), label="Kind of referral", required=False,
                                  empty_label="Any")
    step = forms.ChoiceField(label="Stuck at", required=False,
                             choices=[("", "Any step")] + [(s, ReferralStep(s).label) for s in
                                                           ("requested", "accepted", "booked", "seen",
                                                            "report_received")])
