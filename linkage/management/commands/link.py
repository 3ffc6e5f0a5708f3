"""``manage.py link --registry REGISTRY.csv --local LOCAL.csv --out DECISIONS.json``

Runs the linkage the import uses on files instead of the database (what-if runs, tests,
benchmarks: shared/formats/local-waitlist.md), and prints its figures and every line of
LOCAL.csv that was left out or warned about.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from linkage.fileio import LinkFileError, run_files
from registries.geography_data import iter_geography


def registry_communities() -> set[str]:
    """The registry's geography as it is seeded (no database needed for a file run)."""
    return {row[-1].lower() for row in iter_geography()}


class Command(BaseCommand):
    help = "Link a local waitlist file to a registry file: one decision per row into DECISIONS.json."

    def add_arguments(self, parser):
        parser.add_argument("--registry", required=True, metavar="REGISTRY.csv")
        parser.add_argument("--local", required=True, metavar="LOCAL.csv")
        parser.add_argument("--out", required=True, metavar="DECISIONS.json")
        parser.add_argument("--any-community", action="store_true",
                            help="accept any community name (a file from outside BC's geography)")

    def handle(self, *args, **options):
        communities = None if options["any_community"] else registry_communities()
        try:
            outcome = run_files(options["registry"], options["local"], options["out"],
                                communities=communities)
        except (LinkFileError, OSError) as error:
            raise CommandError(str(error)) from None
        for problem in outcome["errors"]:
            self.stderr.write(f"left out: {problem}")
        for problem in outcome["warnings"]:
            self.stderr.write(f"warning: {problem}")
        f = outcome["figures"]
        self.stdout.write(
            f"registry {f['registry']}, local {f['local']}: merge {f['merge']}, review {f['review']}, "
            f"new {f['new']}, duplicate {f['duplicate']}; left out {len(outcome['errors'])}; "
            f"{f['seconds']:.2f} s")
