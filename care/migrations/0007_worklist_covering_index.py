# The worklist's task scan reads only the index (index-only scan): the PCN's open tasks by
# due date with the columns its scope and sort need, instead of a heap visit per due task.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('care', '0006_merge_referrals_transitions'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='task',
            name='care_open_tasks_by_pcn',
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(condition=models.Q(('done_at__isnull', True)), fields=['pcn', 'due_on'], include=('id', 'patient', 'assigned_to', 'provider'), name='care_open_tasks_by_pcn_cover'),
        ),
    ]
