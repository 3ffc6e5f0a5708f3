"""``manage.py match --instance INSTANCE.json --out PROPOSALS.json``

Runs the application's matching engine on a file instead of the database, for what-if
runs, tests and benchmarks (formats: /work/shared/formats/matching.md), and prints what
it did: counts, and seconds spent parsing, matching and writing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from attachment.matching.fileio import InstanceError, run_file


class Command(BaseCommand):
    help = "Match registrations to providers from an INSTANCE.json file into PROPOSALS.json."

    def add_arguments(self, parser):
        parser.add_argument("--instance", required=True, metavar="INSTANCE.json",
                            help="providers and registrations to match")
        parser.add_argument("--out", required=True, metavar="PROPOSALS.json",
                            help="where to write the proposals and figures")

    def handle(self, *args, **options):
        # Each mode is one function returning figures; a database mode would be another
        # such function, chosen here by its own options.
        figures = self.run_file_mode(options["instance"], options["out"])
        self.report(figures)

    def run_file_mode(self, instance: str, out: str) -> dict:
        try:
            return run_file(instance, out)
        except FileNotFoundError as missing:
            raise CommandError(f"No such file: {missing.filename}") from None
        except (InstanceError, ValueError) as bad:
            # json.JSONDecodeError is a ValueError too: one line, not a traceback.
            raise CommandError(f"{instance}: {bad}") from None

    def report(self, figures: dict) -> None:
        f = figures
        self.stdout.write(
            f"{f['registrations']:,} registrations, {f['providers']:,} providers: "
            f"{f['proposed']:,} proposed ({f['people']:,} people), "
            f"{f['unmatched']:,} unmatched")
        self.stdout.write(
            f"seconds: parse {f['parse_seconds']:.3f}, engine {f['engine_seconds']:.3f}, "
            f"write {f['write_seconds']:.3f}")
