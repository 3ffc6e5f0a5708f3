"""Local waitlists merged into the registry, and the registry's own probable duplicates.

A `WaitlistImport` is one local waitlist file a coordinator sent for their division: checked
whole and kept with its report, then imported or cancelled (as a panel upload is). Each good
row becomes an `ImportRow`: the row as the file gave it, the linkage's decision and evidence,
and what the import did with it (its provenance), which is what an undo reads.
A `DuplicatePair` is two people on the waitlist the nightly linkage takes for one.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

DECISIONS = ["merge", "review", "new", "duplicate"]


class WaitlistImport(models.Model):
    class Status(models.TextChoices):
        CHECKED = "checked", "Checked, awaiting a decision"
        IMPORTING = "importing", "Importing"
        IMPORTED = "imported", "Imported"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    division = models.ForeignKey("registries.Division", on_delete=models.PROTECT, related_name="waitlist_imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    # Stored once per content, so the import reads exactly the bytes that were checked.
    content_hash = models.CharField(max_length=64)
    stored_path = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKED)
    rows_read = models.PositiveIntegerField(default=0)
    rows_valid = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    # After the import: rows per decision and per outcome, the engine's figures, seconds.
    figures = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    import_requested_at = models.DateTimeField(null=True, blank=True)
    import_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["checked", "importing", "imported", "cancelled", "failed"]),
                name="waitlist_import_status_valid",
            ),
            models.CheckConstraint(condition=Q(rows_valid__lte=models.F("rows_read")),
                                   name="waitlist_import_valid_le_read"),
        ]
        indexes = [
            models.Index(fields=["division", "-created_at"], name="waitlist_import_division"),
            models.Index(fields=["division", "content_hash"], name="waitlist_import_hash"),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def rows_bad(self):
        return self.rows_read - self.rows_valid


class ImportRow(models.Model):
    """One good row of a local waitlist file, its decision, and what the import did with it."""

    class Outcome(models.TextChoices):
        MERGED = "merged", "Merged into a waiting registration"
        ATTACHED = "attached", "Already on a panel (reported)"
        REGISTERED = "registered", "Registered (new person)"
        DUPLICATE = "duplicate", "Duplicate of an earlier row"
        PENDING = "pending", "Waiting for a coordinator's review"
        SKIPPED = "skipped", "Already imported from an earlier file"

    APPLIED = (Outcome.MERGED, Outcome.ATTACHED, Outcome.REGISTERED, Outcome.DUPLICATE)

    upload = models.ForeignKey(WaitlistImport, on_delete=models.CASCADE, related_name="rows")
    # Denormalised from the upload: one row's content is applied once per division (constraint).
    division = models.ForeignKey("registries.Division", on_delete=models.PROTECT, related_name="+")
    line = models.PositiveIntegerField()
    list_id = models.CharField(max_length=100)
    household = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100)
    first_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    phn = models.CharField(max_length=10, blank=True)
    gender = models.CharField(max_length=1, blank=True)
    postal_code = models.CharField(max_length=7, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.CharField(max_length=254, blank=True)
    community = models.ForeignKey("registries.Community", on_delete=models.PROTECT, related_name="+")
    listed_on = models.DateField()
    priority_factors = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    # sha256 of the row's normalised content (list_id included): its identity across files.
    row_hash = models.CharField(max_length=64)

    decision = models.CharField(max_length=10, blank=True, help_text="The linkage's decision")
    score = models.FloatField(null=True, blank=True)
    evidence = models.JSONField(default=list, blank=True)
    # [{"person": patient id, "score": 0.71, "evidence": ["...", ...]}, ...] best first.
    candidates = models.JSONField(default=list, blank=True)
    # A duplicate: the earlier row of the same file it repeats. A skipped row: the row of an
    # earlier import that took the same content.
    same_as = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    person = models.ForeignKey("patients.Patient", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    registration = models.ForeignKey("patients.Registration", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    # What the row changed, as it was before: {"registered_at": iso} of a merged registration,
    # {"created": true} of one the row made. Undo restores from it and puts the row back in
    # the review queue (undone_at kept), where a coordinator decides it again.
    before = models.JSONField(default=dict, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    # The coordinator's review of a row the linkage could not decide.
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    review_choice = models.CharField(max_length=10, blank=True)
    review_note = models.CharField(max_length=300, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    undo_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["upload", "line"]
        constraints = [
            models.UniqueConstraint(fields=["upload", "line"], name="import_row_line_once"),
            models.UniqueConstraint(fields=["upload", "list_id"], name="import_row_list_id_once"),
            # The same row (same content) takes effect once in a division, whatever file brings it.
            models.UniqueConstraint(
                fields=["division", "row_hash"], name="import_row_applied_once",
                condition=Q(outcome__in=["merged", "attached", "registered", "duplicate", "pending"]),
            ),
            models.CheckConstraint(
                condition=Q(decision__in=["", *DECISIONS]), name="import_row_decision_valid"),
            models.CheckConstraint(
                condition=Q(outcome__in=["merged", "attached", "registered", "duplicate", "pending", "skipped"]),
                name="import_row_outcome_valid",
            ),
            models.CheckConstraint(
                condition=Q(review_choice__in=["", "merge", "new", "duplicate"]), name="import_row_choice_valid"),
            models.CheckConstraint(
                condition=~Q(outcome__in=["merged", "attached", "registered"]) | Q(person__isnull=False),
                name="import_row_applied_names_person",
            ),
        ]
        indexes = [
            models.Index(fields=["upload", "outcome"], name="import_row_outcome"),
            models.Index(fields=["division", "outcome"], name="import_row_queue",
                         condition=Q(outcome="pending")),
            models.Index(fields=["registration"], name="import_row_registration",
                         condition=Q(registration__isnull=False)),
        ]

    def __str__(self):
        return f"line {self.line} ({self.list_id})"


class DuplicatePair(models.Model):
    """Two people on the waitlist the nightly linkage takes for one person (a < b by id)."""

    class Status(models.TextChoices):
        OPEN = "open", "To review"
        MERGED = "merged", "Merged"
        DISTINCT = "distinct", "Not the same person"

    a = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    b = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    # Denormalised so a coordinator's list filters on one indexed column: a's division when found.
    division = models.ForeignKey("registries.Division", on_delete=models.PROTECT, related_name="+")
    score = models.FloatField()
    evidence = models.JSONField(default=list, blank=True)
    suggestion = models.CharField(max_length=10, help_text="The linkage's decision: merge or review")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    found_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    # Of a merge: the registration kept and the one folded into it, and what they were before.
    # An undo restores them and opens the pair again.
    kept = models.ForeignKey("patients.Registration", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    folded = models.ForeignKey("patients.Registration", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    before = models.JSONField(default=dict, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["a", "b"], name="duplicate_pair_once"),
            models.CheckConstraint(condition=Q(a__lt=models.F("b")), name="duplicate_pair_ordered"),
            models.CheckConstraint(condition=Q(status__in=["open", "merged", "distinct"]),
                                   name="duplicate_pair_status_valid"),
            models.CheckConstraint(condition=Q(suggestion__in=["merge", "review"]),
                                   name="duplicate_pair_suggestion_valid"),
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True) | (~Q(status="open") & Q(resolved_at__isnull=False)),
                name="duplicate_pair_resolution_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["division", "-score"], name="duplicate_pair_queue", condition=Q(status="open")),
        ]

    def __str__(self):
        return f"{self.a_id} ~ {self.b_id}"
