# Local waitlist imports, their rows and provenance, and the registry's probable duplicates.

import django.contrib.postgres.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('patients', '0010_phn_optional_for_local_lists'),
        ('registries', '0007_pcn_care_coordination_permission'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='WaitlistImport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file_name', models.CharField(max_length=255)),
                ('content_hash', models.CharField(max_length=64)),
                ('stored_path', models.CharField(max_length=300)),
                ('status', models.CharField(choices=[('checked', 'Checked, awaiting a decision'), ('importing', 'Importing'), ('imported', 'Imported'), ('cancelled', 'Cancelled'), ('failed', 'Failed')], default='checked', max_length=10)),
                ('rows_read', models.PositiveIntegerField(default=0)),
                ('rows_valid', models.PositiveIntegerField(default=0)),
                ('report', models.JSONField(blank=True, default=dict)),
                ('figures', models.JSONField(blank=True, default=dict)),
                ('error', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('import_requested_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('division', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='waitlist_imports', to='registries.division')),
                ('import_requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('uploaded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='ImportRow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('line', models.PositiveIntegerField()),
                ('list_id', models.CharField(max_length=100)),
                ('household', models.CharField(blank=True, max_length=100)),
                ('last_name', models.CharField(max_length=100)),
                ('first_name', models.CharField(max_length=100)),
                ('date_of_birth', models.DateField()),
                ('phn', models.CharField(blank=True, max_length=10)),
                ('gender', models.CharField(blank=True, max_length=1)),
                ('postal_code', models.CharField(blank=True, max_length=7)),
                ('phone', models.CharField(blank=True, max_length=30)),
                ('email', models.CharField(blank=True, max_length=254)),
                ('listed_on', models.DateField()),
                ('priority_factors', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=30), blank=True, default=list, size=None)),
                ('row_hash', models.CharField(max_length=64)),
                ('decision', models.CharField(blank=True, help_text="The linkage's decision", max_length=10)),
                ('score', models.FloatField(blank=True, null=True)),
                ('evidence', models.JSONField(blank=True, default=list)),
                ('candidates', models.JSONField(blank=True, default=list)),
                ('outcome', models.CharField(choices=[('merged', 'Merged into a waiting registration'), ('attached', 'Already on a panel (reported)'), ('registered', 'Registered (new person)'), ('duplicate', 'Duplicate of an earlier row'), ('pending', "Waiting for a coordinator's review"), ('skipped', 'Already imported from an earlier file')], default='pending', max_length=10)),
                ('before', models.JSONField(blank=True, default=dict)),
                ('applied_at', models.DateTimeField(blank=True, null=True)),
                ('reviewed_at', models.DateTimeField(blank=True, null=True)),
                ('review_choice', models.CharField(blank=True, max_length=10)),
                ('review_note', models.CharField(blank=True, max_length=300)),
                ('undone_at', models.DateTimeField(blank=True, null=True)),
                ('undo_note', models.CharField(blank=True, max_length=300)),
                ('applied_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('community', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registries.community')),
                ('division', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registries.division')),
                ('person', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='patients.patient')),
                ('registration', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='patients.registration')),
                ('reviewed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('same_as', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='linkage.importrow')),
                ('undone_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('upload', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rows', to='linkage.waitlistimport')),
            ],
            options={
                'ordering': ['upload', 'line'],
            },
        ),
        migrations.CreateModel(
            name='DuplicatePair',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('score', models.FloatField()),
                ('evidence', models.JSONField(blank=True, default=list)),
                ('suggestion', models.CharField(help_text="The linkage's decision: merge or review", max_length=10)),
                ('status', models.CharField(choices=[('open', 'To review'), ('merged', 'Merged'), ('distinct', 'Not the same person')], default='open', max_length=10)),
                ('found_at', models.DateTimeField(auto_now_add=True)),
                ('last_seen_at', models.DateTimeField()),
                ('before', models.JSONField(blank=True, default=dict)),
                ('resolved_at', models.DateTimeField(blank=True, null=True)),
                ('note', models.CharField(blank=True, max_length=300)),
                ('a', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='patients.patient')),
                ('b', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='patients.patient')),
                ('division', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registries.division')),
                ('folded', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='patients.registration')),
                ('kept', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='patients.registration')),
                ('resolved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-score', 'id'],
                'indexes': [models.Index(condition=models.Q(('status', 'open')), fields=['division', '-score'], name='duplicate_pair_queue')],
                'constraints': [models.UniqueConstraint(fields=('a', 'b'), name='duplicate_pair_once'), models.CheckConstraint(condition=models.Q(('a__lt', models.F('b'))), name='duplicate_pair_ordered'), models.CheckConstraint(condition=models.Q(('status__in', ['open', 'merged', 'distinct'])), name='duplicate_pair_status_valid'), models.CheckConstraint(condition=models.Q(('suggestion__in', ['merge', 'review'])), name='duplicate_pair_suggestion_valid'), models.CheckConstraint(condition=models.Q(models.Q(('resolved_at__isnull', True), ('status', 'open')), models.Q(models.Q(('status', 'open'), _negated=True), ('resolved_at__isnull', False)), _connector='OR'), name='duplicate_pair_resolution_consistent')],
            },
        ),
        migrations.AddIndex(
            model_name='waitlistimport',
            index=models.Index(fields=['division', '-created_at'], name='waitlist_import_division'),
        ),
        migrations.AddIndex(
            model_name='waitlistimport',
            index=models.Index(fields=['division', 'content_hash'], name='waitlist_import_hash'),
        ),
        migrations.AddConstraint(
            model_name='waitlistimport',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['checked', 'importing', 'imported', 'cancelled', 'failed'])), name='waitlist_import_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='waitlistimport',
            constraint=models.CheckConstraint(condition=models.Q(('rows_valid__lte', models.F('rows_read'))), name='waitlist_import_valid_le_read'),
        ),
        migrations.AddIndex(
            model_name='importrow',
            index=models.Index(fields=['upload', 'outcome'], name='import_row_outcome'),
        ),
        migrations.AddIndex(
            model_name='importrow',
            index=models.Index(condition=models.Q(('outcome', 'pending')), fields=['division', 'outcome'], name='import_row_queue'),
        ),
        migrations.AddIndex(
            model_name='importrow',
            index=models.Index(condition=models.Q(('registration__isnull', False)), fields=['registration'], name='import_row_registration'),
        ),
        migrations.AddConstraint(
            model_name='importrow',
            constraint=models.UniqueConstraint(fields=('upload', 'line'), name='import_row_line_once'),
        ),
        migrations.AddConstraint(
            model_name='importrow',
            constraint=models.UniqueConstraint(fields=('upload', 'list_id'), name='import_row_list_id_once'),
        ),
        migrations.AddConstraint(
            model_name='importrow',
            constraint=models.UniqueConstraint(condition=models.Q(('outcome__in', ['merged', 'attached', 'registered', 'duplicate', 'pending'])), fields=('division', 'row_hash'), name='import_row_applied_once'),
        ),
        migrations.AddConstraint(
            model_name='importrow',
            constraint=models.CheckConstraint(condition=models.Q(('decision__in', ['', 'merge', 'review', 'new', 'duplicate'])), name='import_row_decision_valid'),
        ),
        migrations.AddConstraint(
            model_name='importrow',
            constraint=models.CheckConstraint(condition=models.Q(('outcome__in', ['merged', 'attached', 'registered', 'duplicate', 'pending', 'skipped'])), name='import_row_outcome_valid'),
        ),
        migrations.AddConstraint(
            model_name='importrow',
            constraint=models.CheckConstraint(condition=models.Q(('review_choice__in', ['', 'merge', 'new', 'duplicate'])), name='import_row_choice_valid'),
        ),
        migrations.AddConstraint(
            model_name='importrow',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('outcome__in', ['merged', 'attached', 'registered']), _negated=True), ('person__isnull', False), _connector='OR'), name='import_row_applied_names_person'),
        ),
    ]
