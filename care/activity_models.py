"""What the activity report reads instead of two million contacts: the contacts of each
PCN, coordinator, month, category and channel (how many, how many minutes), and who was
served each month. Kept by a trigger on care_contact (migration 0003_activity_rollups) in
the same transaction as the contact, so they are never behind; `care.scale` refills them
set-based after a bulk load (which runs with triggers off). Never written by Django code.
"""

from django.db import models


class ContactMonth(models.Model):
    pcn = models.ForeignKey("registries.PCN", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    by_id = models.IntegerField(default=0)  # the user who logged them; 0 for none
    month = models.DateField()  # the first of the month
    category = models.CharField(max_length=20)
    channel = models.CharField(max_length=20)
    contacts = models.IntegerField()
    minutes = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pcn", "month", "by_id", "category", "channel"],
                                               name="care_contact_month_key")]


class PersonMonth(models.Model):
    """A patient with at least one contact in a PCN, by a coordinator, in a month."""

    pcn = models.ForeignKey("registries.PCN", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    month = models.DateField()
    by_id = models.IntegerField(default=0)
    patient_id = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pcn", "month", "by_id", "patient_id"],
                                               name="care_person_month_key")]


class LastContact(models.Model):
    """The date of each patient's latest contact: what the worklist sorts on (days since
    contact), read by a join instead of one look-up in care_contact per task."""

    patient_id = models.BigIntegerField(primary_key=True)
    contacted_on = models.DateField()
