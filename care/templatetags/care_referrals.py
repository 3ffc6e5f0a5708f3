"""The referrals section of a patient's care record, as an inclusion tag, so the care
record page shows it without its view knowing about referrals. The page that includes it
is already in scope and audited (care.views.patient)."""

from django import template
from django.utils import timezone

from care import referrals
from care.referral_models import Referral

register = template.Library()


@register.inclusion_tag("care/_referrals.html")
def patient_referrals(patient, can_coordinate=False):
    today = timezone.localdate()
    rows = list(Referral.objects.filter(patient=patient).select_related("type").order_by("-sent_on", "-id")[:50])
    for r in rows:
        r.overdue_days = referrals.days_overdue(r, today)
    return {"patient": patient, "rows": rows, "can_coordinate": can_coordinate}
