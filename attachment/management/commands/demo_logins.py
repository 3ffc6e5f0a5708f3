from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from attachment.demo.data import DEMO_LOGINS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Print one demo login per role (those that exist)."

    def handle(self, *args, **options):
        present = set(get_user_model().objects.filter(username__in=[u for _, u in DEMO_LOGINS]).values_list("username", flat=True))
        role_width = max(len(role) for role, _ in DEMO_LOGINS)
        login_width = max(len(username) for _, username in DEMO_LOGINS)
        for role, username in DEMO_LOGINS:
            if username in present:
                self.stdout.write(f"  {role:<{role_width}} {username:<{login_width}} password: {DEMO_PASSWORD}")
