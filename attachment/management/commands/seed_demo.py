from django.core.management.base import BaseCommand

from attachment.demo import data as demo
from providers.models import Provider


class Command(BaseCommand):
    help = "Build realistic synthetic data: households waiting, providers with capacity, panels, demo users."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=2000,
                            help="households (registrations) waiting; a quarter as many again are added as history")
        parser.add_argument("--providers", type=int, default=150)
        parser.add_argument("--panel-entries", type=int, default=None,
                            help="patients on panels (default: 700 per provider)")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--if-empty", action="store_true", help="do nothing when providers already exist")
        # Care coordination at scale (care/scale.py).
        parser.add_argument("--care", action="store_true",
                            help="also give panel patients a care history: enrolments, contacts, referrals, tasks, stays")
        parser.add_argument("--care-patients", type=int, default=100_000,
                            help="with --care: patients enrolled (20 contacts, 3 referrals, 3 tasks each)")
        parser.add_argument("--care-stays", type=int, default=20_000, help="with --care: hospital stays")

    def handle(self, *args, **options):
        if options["if_empty"] and Provider.objects.exists():
            self.stdout.write("Demo data already present; keeping it.")
            return
        panel = options["panel_entries"]
        if panel is None:
            panel = options["providers"] * 700
        report = demo.seed(
            registrations=options["patients"], providers=options["providers"], panel_entries=panel, seed=options["seed"]
        )
        for line in report.lines():
            self.stdout.write(line)
        figures = demo.demo_workflow()
        self.stdout.write("Demo story: " + ", ".join(f"{k} {v:.1f}" for k, v in figures.items()))
        if options["care"]:
            from care.scale import seed_care

            for line in seed_care(patients=options["care_patients"], stays=options["care_stays"]).lines():
                self.stdout.write(line)
