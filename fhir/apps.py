from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "fhir"
    label = "fhir"
    verbose_name = "FHIR interoperability"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The EMR handoff is written in the attach transaction itself (the outbox row),
        # through the workflow's signal: the workflow does not import this app.
        from attachment.workflow.signals import household_attached
        from fhir import handoff

        household_attached.connect(handoff.on_household_attached, dispatch_uid="fhir.handoff")
