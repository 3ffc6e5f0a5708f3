"""The people's pages of the FHIR interface: the handoff download from an attached offer,
a clinic's EMR integration (facility number, webhook), and the deliveries that keep failing."""

import json

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from attachment.core import access, audit, roles
from fhir import handoff, outbox
from fhir.forms import IntegrationForm
from fhir.models import ClinicIntegration, Delivery
from fhir.rendering import FHIR_JSON

PAGE_SIZE = 50


@roles.role_required(*roles.CLINIC_ROLES)
def handoff_download(request, pk):
    offer = access.handoff_offer(request.user, pk)
    bundle = handoff.handoff_bundle(offer)
    audit.record(action="view", obj=offer, actor=request.actor,
                 summary=f"Downloaded the EMR handoff of {offer.registration.reference_code}")
    response = HttpResponse(json.dumps(bundle, indent=2), content_type=FHIR_JSON)
    response["Content-Disposition"] = f'attachment; filename="handoff-{offer.registration.reference_code}.json"'
    return response


@roles.role_required(roles.CLINIC_LEAD, roles.ADMINISTRATOR)
def integration(request, pk):
    clinic = access.integration_clinic(request.user, pk)
    instance = ClinicIntegration.objects.filter(clinic=clinic).first() or ClinicIntegration(clinic=clinic)
    form = IntegrationForm(request.POST or None, instance=instance, allow_http=settings.DEBUG)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            before = {"facility_number": instance.facility_number, "webhook_url": instance.webhook_url}
            saved = form.save(commit=False)
            saved.updated_by = request.user
            saved.save()
            changes = {k: [v, getattr(saved, k)] for k, v in before.items() if v != getattr(saved, k)}
            audit.record(action="update", obj=saved, actor=request.actor, summary=f"EMR integration of {clinic}",
                         changes=changes)
        messages.success(request, "Saved.")
        return redirect("fhir:integration", pk=clinic.pk)
    return render(request, "fhir/integration.html", {
        "clinic": clinic, "form": form, "show_errors": request.method == "POST",
        "has_secret": bool(instance.webhook_secret),
    })


@roles.role_required(roles.CLINIC_LEAD, roles.ADMINISTRATOR)
def deliveries(request):
    failed = (Delivery.objects.filter(status=Delivery.Status.FAILED, clinic__in=access.integration_clinics(request.user))
              .select_related("clinic", "offer__provider").order_by("-created_at", "-id"))
    page = Paginator(failed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "fhir/deliveries.html", {"page": page})


@require_POST
@roles.role_required(roles.CLINIC_LEAD, roles.ADMINISTRATOR)
def delivery_retry(request, pk):
    delivery = get_object_or_404(Delivery, pk=pk, clinic__in=access.integration_clinics(request.user))
    outbox.retry(delivery, actor=request.actor)
    messages.success(request, "Delivery queued again.")
    return redirect("fhir:deliveries")
