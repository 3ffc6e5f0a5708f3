"""The forms of the household's self-service pages. The proof (reference code and a date of
birth) is the status page's own form, and a new member is the registration form's member."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from patients.forms import (
    POSTAL_CODE,
    QUESTION_CHOICES,
    MemberForm,
    StatusLookupForm,
    phone_digits,
    translated,
)
from patients.selfservice import LEAVE_REASONS

ProveForm = StatusLookupForm
NewMemberForm = MemberForm


class CodeForm(forms.Form):
    messages_name_the_field = True  # templates/_error_summary.html shows them as they are
    code = forms.CharField(
        label=_("Code"), max_length=12,
        help_text=_("The 6-digit code we sent to the email address or phone number on your registration."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"}),
        error_messages={"required": _("Enter the code we sent you")},
    )


class ContactForm(forms.Form):
    messages_name_the_field = True  # templates/_error_summary.html shows them as they are
    phone = forms.CharField(
        label=_("Phone number"), required=False, max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=_("10 digits, for example 250-555-0123."),
    )
    email = forms.EmailField(
        label=_("Email address"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": _("Enter an email address like name@example.com")},
    )
    address = forms.CharField(label=_("Street address"), max_length=250, required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "street-address"}))
    postal_code = forms.CharField(label=_("Postal code"), max_length=7, required=False,
                                  widget=forms.TextInput(attrs={"autocomplete": "postal-code", "size": 8}))

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and len(phone_digits(phone)) != 10:
            raise ValidationError(_("Enter a 10-digit phone number, for example 250-555-0123."))
        return phone

    def clean_postal_code(self):
        code = self.cleaned_data["postal_code"].strip().upper()
        if code and not POSTAL_CODE.match(code):
            raise ValidationError(_("Enter a postal code like V2C 1A1."))
        return code.replace(" ", "")

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not data.get("email") and not self.errors:
            self.add_error("phone", _("Give a phone number or an email address (or both) so we can reach you."))
        return data


class NeedsForm(forms.Form):
    messages_name_the_field = True  # templates/_error_summary.html shows them as they are
    factors = forms.MultipleChoiceField(
        label=_("Does any of these apply to someone in your household?"), choices=translated(QUESTION_CHOICES),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("People aged 65 or older and children under 2 are counted from the dates of birth."),
    )


class RemoveMemberForm(forms.Form):
    member = forms.IntegerField(widget=forms.HiddenInput)


class LeaveForm(forms.Form):
    messages_name_the_field = True  # templates/_error_summary.html shows them as they are
    reason = forms.ChoiceField(label=_("Why are you leaving the waitlist?"), choices=LEAVE_REASONS,
                               widget=forms.RadioSelect,
                               error_messages={"required": _("Choose why you are leaving the waitlist")})
