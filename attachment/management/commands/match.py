"""``manage.py match --instance INSTANCE.json --out PROPOSALS.json``

Runs the application's matching engine on a file instead of the database, for what-if
runs, tests and benchmarks (the formats: attachment/matching/fileio.py), and prints what
it did: counts, and seconds spent parsing, matching and writing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from attachment.matching.fileio import InstanceError, run_file


class Command(BaseCommand):
    help = "Match registrations to providers from an INSTANCE.json file into PROPOSALS.json."

    def add_arguments(self, parser):
        parser.add_argument("--instance", metavar="INSTANCE.json",
                            help="providers and registrations to match")
        parser.add_argument("--out", metavar="PROPOSALS.json",
                            help="where to write the proposals and figures")
        # Database mode (no --instance): a recorded run against the waitlist, writing
        # proposals and taking places, exactly as a coordinator's run does.
        parser.add_argument("--division", metavar="SLUG|ID", help="database mode: limit the run to a division")
        parser.add_argument("--community", metavar="NAME|ID", help="database mode: limit the run to a community")
        parser.add_argument("--all", action="store_true", help="database mode: the whole region")

    def handle(self, *args, **options):
        # Each mode is one function returning figures, chosen here by its own options.
        if not options["instance"]:
            if not (options["division"] or options["community"] or options["all"]):
                raise CommandError("Give --instance and --out (file mode), or --division, --community or --all "
                                   "(database mode).")
            return self.run_database_mode(options)
        if not options["out"]:
            raise CommandError("--out is required with --instance")
        figures = self.run_file_mode(options["instance"], options["out"])
        self.report(figures)

    def run_database_mode(self, options) -> None:
        from attachment.matching.db import run_matching
        from attachment.workflow.models import MatchRun
        from registries.models import Community, Division

        def find(model, value, text_field):
            lookup = {"pk": int(value)} if str(value).isdigit() else {text_field: value}
            try:
                return model.objects.get(**lookup)
            except model.DoesNotExist:
                raise CommandError(f"No {model._meta.verbose_name} {value!r}") from None

        division = find(Division, options["division"], "slug") if options["division"] else None
        community = find(Community, options["community"], "name") if options["community"] else None
        if community and division and community.division_id != division.pk:
            raise CommandError(f"{community} is not in {division}")
        run = MatchRun.objects.create(parameters={
            "division": (division.pk if division else community.division_id if community else None),
            "community": community.pk if community else None,
        })
        run_matching(run)
        f = run.figures
        self.stdout.write(
            f"run {run.pk}: {f['registrations']:,} registrations, {f['providers']:,} providers: "
            f"{f['proposed']:,} proposed ({f['people']:,} people), {f['unmatched']:,} unmatched")
        self.stdout.write("seconds: " + ", ".join(f"{k} {v:.3f}" for k, v in f["seconds"].items())
                          + f", total {f['total_seconds']:.3f}")

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
