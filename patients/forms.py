"""Forms of the Health Connect Registry: every field validated server-side, messages per field."""

import re
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from patients.dates import OLDEST_BIRTH, DateOfBirthField, DatePartsWidget
from patients.lookup import normalize_code
from patients.models import ContactNote, IdentityConflict, Registration
from patients.priority import FACTOR_CHOICES
from patients.services import INELIGIBLE_REASONS, WITHDRAW_REASONS, open_registration_phns
from registries.models import Community
from registries.phn import is_ascii_digits, normalize_phn, phn_error
from registries.vocab import GENDERS, LANGUAGES, PROVIDER_GENDERS

# Age-based factors are worked out from the dates of birth; the public is not asked them.
AGE_FACTORS = {"age_65_plus", "infant"}
QUESTION_CHOICES = [(c, label) for c, label in FACTOR_CHOICES if c not in AGE_FACTORS]
POSTAL_CODE = re.compile(r"^[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d$")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def phone_digits(value: str) -> str:
    digits = "".join(ch for ch in value if is_ascii_digits(ch))
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def phn_field(label) -> forms.CharField:
    """A PHN box on the public forms: the same hint and messages wherever a household types one."""
    return forms.CharField(
        label=label, max_length=14,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("10 digits starting with 9, on the back of your BC Services Card."),
        error_messages={"required": _("Enter the Personal Health Number"),
                        "max_length": _("Enter a Personal Health Number with 10 digits")},
    )


def translated(choices):
    """Vocabulary choices (kept plain in registries/ and priority, marked with gettext_noop)
    with their labels in the page's language."""
    return [(code, gettext_lazy(label)) for code, label in choices]


# The public form's questions and messages are written for the person filling it in
# (GOV.UK: "Enter your ...", no "This field is required"), in their language. A field that
# is not required is marked "(optional)" once, by templates/_field.html, never in its label.
class HouseholdForm(forms.Form):
    """Contact, address and needs of the household (one per registration)."""

    messages_name_the_field = True  # templates/_error_summary.html shows them as they are
    submission_token = forms.UUIDField(widget=forms.HiddenInput)
    phone = forms.CharField(
        label=_("Phone number"), required=False, max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=_("10 digits, for example 250-555-0123."),
        error_messages={"max_length": _("Enter a phone number with 10 digits, like 250-555-0123")},
    )
    email = forms.EmailField(
        label=_("Email address"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("We email your reference code and reminders here."),
        error_messages={"invalid": _("Enter an email address in the correct format, like name@example.com")},
    )
    address = forms.CharField(
        label=_("Street address"), max_length=250, widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
        error_messages={"required": _("Enter your street address"),
                        "max_length": _("Street address must be 250 characters or fewer")},
    )
    postal_code = forms.CharField(
        label=_("Postal code"), max_length=7, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "size": 8}),
        error_messages={"max_length": _("Enter a postal code like V2C 1A1")},
    )
    community = forms.ModelChoiceField(
        label=_("Community you live in"), queryset=Community.objects.order_by("name"),
        empty_label=_("Choose a community"),
        error_messages={"required": _("Choose the community you live in"),
                        "invalid_choice": _("Choose the community you live in")},
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages you would like care in"), choices=translated(LANGUAGES), required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose languages from the list")},
    )
    preferred_provider_gender = forms.ChoiceField(
        label=_("Preferred gender of your provider"),
        choices=[("", _("No preference"))] + translated(PROVIDER_GENDERS), required=False,
        error_messages={"invalid_choice": _("Choose a preference from the list")},
    )
    factors = forms.MultipleChoiceField(
        label=_("Does any of these apply to someone in your household?"), choices=translated(QUESTION_CHOICES),
        required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("People aged 65 or older and children under 2 are counted from the dates of birth."),
        error_messages={"invalid_choice": _("Choose from the list")},
    )
    consent = forms.BooleanField(
        label=_("I agree that the information on this form may be collected and used to connect my household "
                "with a family doctor or nurse practitioner, and that I may be contacted about it."),
        error_messages={"required": _("You need to agree to the collection of your information to register")},
    )

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        if communities is not None:
            self.fields["community"].queryset = communities.order_by("name")
        if not self.is_bound:
            self.initial.setdefault("submission_token", uuid.uuid4())

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and len(phone_digits(phone)) != 10:
            raise ValidationError(_("Enter a phone number with 10 digits, like 250-555-0123"))
        return phone

    def clean_postal_code(self):
        code = self.cleaned_data["postal_code"].strip().upper()
        if code and not POSTAL_CODE.match(code):
            raise ValidationError(_("Enter a postal code like V2C 1A1"))
        return code.replace(" ", "")

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not data.get("email") and "phone" not in self.errors and "email" not in self.errors:
            self.add_error("phone", _("Enter a phone number or an email address (or both) so we can reach you"))
        return data


class StaffHouseholdForm(HouseholdForm):
    consent = forms.BooleanField(
        label="The person calling agreed to the collection and use of their household's information "
              "to connect them with a provider.",
        error_messages={"required": "Confirm the caller's consent before entering the registration."},
    )
    language = forms.ChoiceField(
        label="Language for the household's emails", choices=settings.LANGUAGES, initial=settings.LANGUAGE_CODE,
        required=False, help_text="The reference code, reminders and offers are written to the household in this language.",
    )
    field_order = ["submission_token", "phone", "email", "language"]


class MemberForm(forms.Form):
    first_name = forms.CharField(
        label=_("First name"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Enter the first name"),
                        "max_length": _("First name must be 100 characters or fewer")},
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Enter the last name"),
                        "max_length": _("Last name must be 100 characters or fewer")},
    )
    date_of_birth = DateOfBirthField(label=_("Date of birth"), widget=DatePartsWidget(attrs={"autocomplete": "off"}))
    phn = phn_field(_("Personal Health Number (PHN)"))
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", _("Prefer not to say"))] + translated(GENDERS), required=False,
        error_messages={"invalid_choice": _("Choose a gender from the list")},
    )

    def clean_phn(self):
        value = self.cleaned_data["phn"]
        phn = normalize_phn(value)
        # The rule is registries.phn's; the words are for the person typing it.
        if not is_ascii_digits(phn) or len(phn) != 10:
            raise ValidationError(_("Enter a Personal Health Number with 10 digits"))
        if phn[0] != "9":
            raise ValidationError(_("A BC Personal Health Number begins with 9"))
        if phn_error(phn):
            raise ValidationError(_("Check the Personal Health Number: the last digit does not match the others"))
        return phn


class BaseMemberFormSet(forms.BaseFormSet):
    tell_already_registered = False

    def clean(self):
        if any(self.errors):
            return
        seen = {}
        for form in self.forms:
            phn = form.cleaned_data.get("phn")
            if not phn:
                continue
            if phn in seen:
                form.add_error("phn", _("This Personal Health Number is already entered for another person "
                                        "in the household"))
            seen[phn] = form
        if not self.tell_already_registered:
            return  # the public form never says who is on the waitlist (patients.identity holds it)
        taken = open_registration_phns(list(seen))
        for phn in taken:
            seen[phn].add_error("phn", "This person is already on the waitlist.")
        if taken:
            raise ValidationError("Someone in this household is already registered.", code="already_registered")


MemberFormSet = forms.formset_factory(
    MemberForm, formset=BaseMemberFormSet, extra=0, min_num=1, validate_min=True, max_num=12, validate_max=True,
)


class BaseStaffMemberFormSet(BaseMemberFormSet):
    # A coordinator entering a caller's registration works the waitlist: they may be told.
    tell_already_registered = True


StaffMemberFormSet = forms.formset_factory(
    MemberForm, formset=BaseStaffMemberFormSet, extra=0, min_num=1, validate_min=True, max_num=12,
    validate_max=True,
)


class HouseholdEditForm(forms.Form):
    """A coordinator's corrections to a registration (every factor may be set here)."""

    phone = HouseholdForm.base_fields["phone"]
    email = HouseholdForm.base_fields["email"]
    address = forms.CharField(label="Street address", max_length=250, required=False)
    postal_code = HouseholdForm.base_fields["postal_code"]
    community = HouseholdForm.base_fields["community"]
    languages = HouseholdForm.base_fields["languages"]
    preferred_provider_gender = HouseholdForm.base_fields["preferred_provider_gender"]
    priority_factors = forms.MultipleChoiceField(
        label="Priority factors", choices=FACTOR_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(label="Why (optional)", max_length=300, required=False)

    clean_phone = HouseholdForm.clean_phone
    clean_postal_code = HouseholdForm.clean_postal_code

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        if communities is not None:
            self.fields["community"].queryset = communities.order_by("name")

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not data.get("email") and "phone" not in self.errors and "email" not in self.errors:
            self.add_error("phone", "Keep a phone number or an email address so the household can be reached.")
        return data


class MemberEditForm(MemberForm):
    id = forms.IntegerField(widget=forms.HiddenInput)
    # A coordinator's correction form keeps the browser's date picker and the registry's words.
    date_of_birth = forms.DateField(label="Date of birth", widget=DateInput, help_text="Year-month-day.")

    def clean_phn(self):
        error = phn_error(self.cleaned_data["phn"])
        if error:
            raise ValidationError(error)
        return normalize_phn(self.cleaned_data["phn"])

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born > timezone.localdate():
            raise ValidationError("The date of birth cannot be in the future.")
        if born < OLDEST_BIRTH:
            raise ValidationError("Check the year of the date of birth.")
        return born


MemberEditFormSet = forms.formset_factory(MemberEditForm, extra=0)


class ContactNoteForm(forms.Form):
    kind = forms.ChoiceField(label="How", choices=ContactNote.Kind.choices)
    outcome = forms.ChoiceField(label="Outcome", choices=[c for c in ContactNote.Outcome.choices if c[0] != "sent"])
    note = forms.CharField(label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    is_reminder = forms.BooleanField(label="This was the periodic 'still waiting' reminder", required=False)


class WithdrawForm(forms.Form):
    reason = forms.ChoiceField(label="Reason", choices=[("", "Choose a reason")] + WITHDRAW_REASONS)
    detail = forms.CharField(label="Details", required=False, max_length=200)
    # The registration page holds this form, the ineligible one and the priority override,
    # all with a `reason`: each gets its own element ids (the field names stay).
    ids = "withdraw_%s"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", self.ids)
        super().__init__(*args, **kwargs)

    def reason_text(self):
        label = dict(self.fields["reason"].choices)[self.cleaned_data["reason"]]
        detail = self.cleaned_data.get("detail", "").strip()
        return f"{label}: {detail}" if detail else label

    def clean(self):
        data = super().clean()
        if data.get("reason") == "other" and not data.get("detail", "").strip():
            self.add_error("detail", "Say why, when the reason is 'Other'.")
        return data


class IneligibleForm(WithdrawForm):
    reason = forms.ChoiceField(label="Reason", choices=[("", "Choose a reason")] + INELIGIBLE_REASONS)
    ids = "ineligible_%s"


class PriorityOverrideForm(forms.Form):
    value = forms.IntegerField(
        label="Priority to use", required=False, min_value=0, max_value=50,
        help_text="Leave empty to go back to the computed priority.",
    )
    reason = forms.CharField(label="Reason", max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "override_%s")  # see WithdrawForm.ids
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("value") is not None and not data.get("reason", "").strip():
            self.add_error("reason", "Give the reason for overriding the computed priority.")
        return data


STATUS_FILTERS = [("open", "Open (waiting or offered)")] + list(Registration.Status.choices) + [("all", "Any status")]


class WaitlistFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100,
                        help_text="Name, PHN, reference code or phone number.")
    community = forms.ModelChoiceField(label="Community", queryset=Community.objects.none(), required=False,
                                       empty_label="All communities")
    status = forms.ChoiceField(label="Status", choices=STATUS_FILTERS, required=False)
    factor = forms.ChoiceField(label="Priority factor", choices=[("", "Any")] + FACTOR_CHOICES, required=False)
    language = forms.ChoiceField(label="Language", choices=[("", "Any")] + LANGUAGES, required=False)
    waited_days = forms.IntegerField(label="Waited more than (days)", required=False, min_value=0, max_value=10000)
    suspended = forms.ChoiceField(
        label="Suspended", required=False,
        choices=[("", "Either"), ("yes", "Suspended only"), ("no", "Not suspended")],
    )
    sort = forms.ChoiceField(label="Sort by", required=False,
                             choices=[("priority", "Priority, then longest wait"), ("wait", "Longest wait")])

    def __init__(self, *args, divisions=None, **kwargs):
        super().__init__(*args, **kwargs)
        if divisions is not None:
            self.fields["community"].queryset = Community.objects.filter(division__in=divisions).order_by("name")

    def usable(self) -> tuple[dict, list[str]]:
        """The valid filters' values, and the labels of those ignored as invalid.

        One bad value (an edited URL, an old bookmark) must not throw away the search
        and the other filters with it.
        """
        self.is_valid()
        # An ignored field reads as left empty (what to_python makes of no value).
        values = {name: self.cleaned_data.get(name, field.to_python(None)) for name, field in self.fields.items()}
        ignored = [str(self.fields[name].label) for name in self.errors if name in self.fields]
        return values, ignored

    def clean_q(self):
        q = self.cleaned_data["q"].strip()
        # Names are found through trigram indexes, which need three letters to narrow
        # anything down; numbers and codes are matched exactly and may be any length.
        if q and not any(ch.isdigit() for ch in q) and not any(len(w) >= 3 for w in q.replace(",", " ").split()):
            raise ValidationError("Type at least 3 letters of a name, or a PHN, reference code or phone number.")
        return q


class StatusLookupForm(forms.Form):
    messages_name_the_field = True
    reference_code = forms.CharField(
        label=_("Reference code"), max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
        help_text=_("The 8-character code you got when you registered."),
        error_messages={"required": _("Enter your reference code"),
                        "max_length": _("Enter the reference code of 8 characters you were given")},
    )
    date_of_birth = DateOfBirthField(
        label=_("Date of birth of anyone in your household"), widget=DatePartsWidget(attrs={"autocomplete": "off"}),
    )

    def clean_reference_code(self):
        return normalize_code(self.cleaned_data["reference_code"])


class IdentityResolveForm(forms.Form):
    resolution = forms.ChoiceField(label="Is this the same person?", choices=IdentityConflict.Resolution.choices,
                                   widget=forms.RadioSelect)
    note = forms.CharField(label="How you know (for the record)", max_length=300, required=False)


class ReferenceCodeAgainForm(forms.Form):
    """The "already registered" path: whose reference code to send again (patients.already)."""

    messages_name_the_field = True
    phn = phn_field(_("Personal Health Number (PHN) of anyone in your household"))
    date_of_birth = DateOfBirthField(label=_("Their date of birth"), widget=DatePartsWidget(attrs={"autocomplete": "off"}))

    clean_phn = MemberForm.clean_phn
