from django.db import migrations


def forwards(apps, schema_editor):
    from care.referral_types import load

    load(apps.get_model("care", "ReferralType"))


# Indexes for what the referrals' chase rule and the activity report read from tables of
# the care app's first migration (declared here, not on those models, so this branch does
# not rewrite their Meta):
# - a chase already done lately (care.referrals.chase_overdue's NOT EXISTS);
# - a PCN's enrolments started or ended in a period; follow-ups of a PCN by due date;
# - the care scope (below).
INDEXES = [
    ("care_task_rule_key_done", "care_task (rule_key, done_at) WHERE rule_key <> ''"),
    ("care_enrolment_by_pcn_start", "care_enrolment (pcn_id, enrolled_at)"),
    ("care_enrolment_by_pcn_end", "care_enrolment (pcn_id, discharged_at) WHERE discharged_at IS NOT NULL"),
    ("care_task_by_pcn_kind_due", "care_task (pcn_id, kind, due_on)"),
    # Every care scope check: the patients on the open panels of a PCN's providers, read
    # from the index alone (registries' own panel_by_provider needs the table for patient_id).
    ("care_scope_open_panel", "registries_panelentry (provider_id) INCLUDE (patient_id) WHERE ended_at IS NULL"),
]


class Migration(migrations.Migration):
    dependencies = [("care", "0003_referrals")]
    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        *[migrations.RunSQL(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}", f"DROP INDEX IF EXISTS {name}")
          for name, definition in INDEXES],
    ]
