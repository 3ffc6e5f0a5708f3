from django import forms
from django.core.exceptions import ValidationError

from fhir.models import ClinicIntegration


class IntegrationForm(forms.ModelForm):
    """The clinic's EMR integration. The secret is write-only: left blank, the saved one stays."""

    webhook_url = forms.URLField(
        label="Webhook URL", required=False, max_length=500, assume_scheme="https",
        help_text="Where your EMR receives the handoff of each household attached to the clinic (https). "
                  "Leave blank to download handoffs from the offers only.",
    )
    webhook_secret = forms.CharField(
        label="Webhook secret", required=False, widget=forms.PasswordInput(render_value=False),
        min_length=16, max_length=128,
        help_text="At least 16 characters, shared with your EMR to check each push's signature. "
                  "Leave blank to keep the one saved.",
    )

    class Meta:
        model = ClinicIntegration
        fields = ["facility_number", "webhook_url", "webhook_secret"]

    def clean_facility_number(self):
        value = self.cleaned_data["facility_number"].strip()
        if value and not (value.isascii() and value.isalnum()):
            raise ValidationError("A facility number is letters and digits only.")
        return value

    def clean_webhook_url(self):
        url = self.cleaned_data["webhook_url"].strip()
        if url and not url.startswith("https://") and not self.allow_http:
            raise ValidationError("The webhook URL must start with https://.")
        return url

    def __init__(self, *args, allow_http=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.allow_http = allow_http
        self.saved_secret = self.instance.webhook_secret if self.instance.pk else ""

    def clean(self):
        cleaned = super().clean()
        secret = cleaned.get("webhook_secret") or self.saved_secret
        if cleaned.get("webhook_url") and not secret:
            self.add_error("webhook_secret", "A webhook needs a secret to sign its pushes.")
        cleaned["webhook_secret"] = secret if cleaned.get("webhook_url") else ""
        return cleaned
