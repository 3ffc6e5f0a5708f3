"""Check and load a panel file from the command line (administrators, bulk onboarding).

    python manage.py load_panel --provider PRACTITIONER_NUMBER FILE [--check-only | --load-valid] [--json]

Without either flag a clean file is loaded; a file with bad rows is reported, nothing is
written, and the exit status is 1.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from providers.models import Provider
from registries.models import PanelUpload
from registries.panels import load, uploads


class Command(BaseCommand):
    help = "Check a panel file and load its valid rows onto a provider's panel."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV panel file with a header row: phn, last_name, first_name, "
                                         "date_of_birth (YYYY-MM-DD); optional gender, postal_code, last_visit")
        parser.add_argument("--provider", required=True, help="the provider's practitioner number")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--check-only", action="store_true", help="report on the file; write nothing")
        mode.add_argument("--load-valid", action="store_true", help="load the valid rows, leave the bad ones out")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **options):
        try:
            provider = Provider.objects.get(practitioner_number=options["provider"])
        except Provider.DoesNotExist:
            raise CommandError(f"No provider has practitioner number {options['provider']}.") from None
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        data = path.read_bytes()

        result, report = uploads.check_file(provider, data)
        # The command prints every bad row, not only the first REPORT_MAX_ERRORS kept on the page.
        report["errors"] = [e.as_dict() for e in result.all_errors]
        report["rows_loaded"] = 0
        report["status"] = "checked"
        has_bad = bool(result.all_errors)
        exit_code = 0

        if options["check_only"]:
            pass
        elif has_bad and not options["load_valid"]:
            report["status"] = "refused"
            exit_code = 1
        elif result.rows_valid == 0:
            report["status"] = "nothing to load"
        else:
            upload = uploads.create_upload(provider, data=data, file_name=path.name, checked=(result, dict(report)))
            PanelUpload.objects.filter(pk=upload.pk).update(status=PanelUpload.Status.LOADING)
            upload = load.load_upload(upload.pk, progress=self._progress(options))
            report["status"] = upload.status
            report["rows_loaded"] = upload.rows_loaded
            report["load"] = upload.report.get("load", {})
            report["upload_id"] = upload.pk

        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self._print(report)
        if exit_code:
            self.stderr.write("The file has bad rows: nothing was written. Fix them, or use --load-valid or --check-only.")
            raise SystemExit(exit_code)

    def _progress(self, options):
        if options["json"] or options["verbosity"] < 2:
            return lambda percent, phase: None
        return lambda percent, phase: self.stderr.write(f"{percent:3d}% {phase}")

    def _print(self, report):
        out = self.stdout.write
        out(f"Rows read:  {report['rows_read']}")
        out(f"Rows valid: {report['rows_valid']}")
        out(f"Bad rows:   {report['rows_bad']}")
        for error in report["errors"]:
            out(f"  line {error['line']}, {error['column'] or 'file'}: {error['reason']}")
        out(f"Rows that need a coordinator's review: {report['conflict_count']}")
        for conflict in report["conflicts"]:
            out(f"  line {conflict['line']}: PHN {conflict['phn']} needs a coordinator's review (not loaded)")
        out(f"Already on this panel: {report['already_on_panel']}")
        out(f"Status: {report['status']}; rows loaded: {report['rows_loaded']}")
        for key, value in report.get("load", {}).items():
            out(f"  {key.replace('_', ' ')}: {value}")
