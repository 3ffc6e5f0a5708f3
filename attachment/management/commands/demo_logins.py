from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from attachment.demo.data import DEMO_LOGINS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Print one demo login per role (those that exist)."

    def handle(self, *args, **options):
        present = set(get_user_model().objects.filter(username__in=[u for _, u in DEMO_LOGINS]).values_list("username", flat=True))
        for role, username in DEMO_LOGINS:
            if username in present:
                self.stdout.write(f"  {role:<24} {username:<14} password: {DEMO_PASSWORD}")
