"""Check and import a local waitlist from the command line (a coordinator's bulk onboarding).

    python manage.py import_waitlist FILE --division NAME --user USERNAME [--check-only | --import-good] [--json]

The user must coordinate the division. Without either flag a clean file is imported; a
file with bad rows is reported, nothing is written, and the exit status is 1. The import
runs here, in this process (the service the Celery task runs), with the same report.
"""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from attachment.core import access
from attachment.core.audit import Actor
from linkage import imports, review
from linkage.models import WaitlistImport
from registries.models import Division


class Command(BaseCommand):
    help = "Check a local waitlist file and merge its good rows into a division's waitlist."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (UTF-8) or .xlsx local waitlist, shared/formats/local-waitlist.md")
        parser.add_argument("--division", required=True, help="the division's name")
        parser.add_argument("--user", required=True, help="the coordinator importing (must coordinate the division)")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--check-only", action="store_true", help="report on the file; write nothing")
        mode.add_argument("--import-good", action="store_true", help="import the good rows, leave the bad ones out")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['user']}.")
        division = Division.objects.filter(name__iexact=options["division"]).first()
        if division is None:
            raise CommandError(f"No division is called {options['division']}.")
        try:
            division = access.division_to_import_into(user, division.pk)
        except Http404:
            raise CommandError(f"{user.username} does not coordinate {division}.") from None
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        data = path.read_bytes()
        actor = Actor(user=user, via="command import_waitlist")

        result, report = imports.check_file(division, data, file_name=path.name)
        report["errors"] = [p.as_dict() for p in result.errors]  # all of them, not the page's first 20,000
        report["warnings"] = [p.as_dict() for p in result.warnings]
        report["status"] = "checked"
        exit_code = 0
        if options["check_only"]:
            pass
        elif (result.errors or result.file_errors) and not options["import_good"]:
            report["status"], exit_code = "refused", 1
        elif result.rows_valid == 0:
            report["status"] = "nothing to import"
        else:
            upload = imports.create_import(division, data=data, file_name=path.name, actor=actor,
                                           checked=(result, dict(report)))
            WaitlistImport.objects.filter(pk=upload.pk).update(status=WaitlistImport.Status.IMPORTING,
                                                                import_requested_by=user)
            upload = imports.run_import(upload.pk, progress=self._progress(options))
            report.update(status=upload.status, upload_id=upload.pk, figures=upload.figures,
                          reviews=review.outcomes(upload))
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, default=str))
        else:
            self._print(report)
        if exit_code:
            self.stderr.write("The file has bad rows: nothing was written. Fix them, or use --import-good or --check-only.")
            raise SystemExit(exit_code)

    def _progress(self, options):
        if options["json"] or options["verbosity"] < 2:
            return lambda percent, phase: None
        return lambda percent, phase: self.stderr.write(f"{percent:3d}% {phase}")

    def _print(self, report):
        out = self.stdout.write
        out(f"Rows read: {report['rows_read']}   good: {report['rows_valid']}   with problems: {report['rows_bad']}")
        for p in report.get("file_errors", []):
            out(f"  line {p['line']}: {p['reason']}")
        for p in report["errors"]:
            out(f"  line {p['line']}, {p['column'] or 'row'}: {p['reason']}")
        for p in report["warnings"]:
            out(f"  warning, line {p['line']}, {p['column']}: {p['reason']}")
        out(f"Status: {report['status']}")
        f = report.get("figures")
        if f:
            out(f"  merged {f['merged']}, attached {f['attached']}, to review {f['pending']}, registered "
                f"{f['registered']}, duplicates {f['duplicate']}, already imported {f['skipped']} ({f['seconds']} s)")
