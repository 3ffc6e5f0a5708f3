from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from attachment.core import audit_db


class Command(BaseCommand):
    help = ("Give the audit table and its triggers to a role the application does not log in as, and leave "
            "the application's role only INSERT and SELECT on it. Run as a superuser (or the table's owner).")

    def add_arguments(self, parser):
        parser.add_argument("--owner", default="attach_owner", help="the owning role (created NOLOGIN if missing)")
        parser.add_argument("--app-role", required=True, help="the role the application logs in as")

    def handle(self, *args, owner, app_role, **options):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                found = audit_db.harden(cursor, owner=owner, app_role=app_role)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{audit_db.AUDIT_TABLE} now belongs to {owner}; {app_role} may INSERT and SELECT only.")
        for warning in found:
            self.stderr.write(f"warning: {warning}")
