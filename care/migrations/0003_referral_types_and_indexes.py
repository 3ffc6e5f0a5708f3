from django.db import migrations


def forwards(apps, schema_editor):
    from care.referral_types import load

    load(apps.get_model("care", "ReferralType"))


# Indexes for what the referrals' chase rule and the activity report read from tables of
# the care app's first migration (declared here, not on those models, so this branch does
# not rewrite their Meta):
# - a chase already done lately (care.referrals.chase_overdue's NOT EXISTS);
# - a PCN's contacts in a period, and a coordinator's (care.activity);
# - a PCN's enrolments started or ended in a period; follow-ups of a PCN by due date.
INDEXES = [
    ("care_task_rule_key_done", "care_task (rule_key, done_at) WHERE rule_key <> ''"),
    ("care_contact_by_pcn_date", "care_contact (pcn_id, contacted_on)"),
    ("care_contact_by_user_date", "care_contact (by_id, contacted_on)"),
    ("care_enrolment_by_pcn_start", "care_enrolment (pcn_id, enrolled_at)"),
    ("care_enrolment_by_pcn_end", "care_enrolment (pcn_id, discharged_at) WHERE discharged_at IS NOT NULL"),
    ("care_task_by_pcn_kind_due", "care_task (pcn_id, kind, due_on)"),
]


class Migration(migrations.Migration):
    dependencies = [("care", "0003_referrals")]
    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        *[migrations.RunSQL(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}", f"DROP INDEX IF EXISTS {name}")
          for name, definition in INDEXES],
    ]
