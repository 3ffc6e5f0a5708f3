"""Registering, scoping and revoking API clients: one transaction each, audited.

A client is a service-account user (no password: it cannot sign in to a page) in the
client's role, holding the same guardian permissions a person in that role holds for
the same scope (granted through `attachment.core.roles`), and an OAuth application for
the client-credentials grant whose owner is that user. So `attachment.core.access`
answers for a system exactly as for a person.
"""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from guardian.shortcuts import get_objects_for_user
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, RefreshToken, get_application_model

from api.models import ApiClient
from attachment.core import audit, roles
from attachment.core.errors import DomainError
from attachment.core.models import AuditEvent

# The scope each client role is given, by the name roles.ASSIGNABLE_SCOPES knows it by;
# a clinic's EMR (MOA role) acts for providers, as a delegated MOA does.
SCOPE_OF_ROLE = {
    roles.COORDINATOR: "coordinates",
    roles.MANAGER: "reads_reports",
    roles.CLINIC_LEAD: "manages_clinics",
    roles.MOA: "acts_for_providers",
}


class ClientError(DomainError):
    """An API client that cannot be registered or changed as asked."""


def _username(name: str) -> str:
    base = f"api-{slugify(name)[:60] or 'client'}"
    User = get_user_model()
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    return username


@transaction.atomic
def register_client(*, name: str, kind: str, role: str, scope=(), contact_email: str = "",
                    actor=None) -> tuple[ApiClient, str]:
    """Make the client, its service account and OAuth application; returns it and its
    client secret (stored only hashed: this is the one time it can be shown)."""
    name = name.strip()
    if role not in SCOPE_OF_ROLE:
        raise ClientError({"role": f"A system cannot be given the role {role!r}."})
    if ApiClient.objects.filter(name__iexact=name).exists():
        raise ClientError({"name": "An API client of that name is registered already."})
    user = get_user_model()(username=_username(name), first_name=name[:150], is_active=True)
    user.set_unusable_password()
    user.save()
    roles.add_role(user, role)
    secret = generate_client_secret()
    Application = get_application_model()
    application = Application.objects.create(
        name=name, user=user, client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS, client_secret=secret,
        hash_client_secret=True, redirect_uris="",
    )
    by = actor.authenticated_user if actor is not None else None
    client = ApiClient.objects.create(name=name, kind=kind, role=role, contact_email=contact_email, user=user,
                                      application=application, created_by=by)
    audit.record(action=AuditEvent.Action.CREATE, obj=client, actor=actor,
                 summary=f"API client registered: {name} ({role}), client id {application.client_id}")
    set_scope(client, scope, actor=actor)
    return client, secret


def scope_of(client: ApiClient):
    """The objects the client's service account holds its role's scope on."""
    if SCOPE_OF_ROLE[client.role] == "acts_for_providers":
        from providers.models import Provider

        return get_objects_for_user(client.user, "providers.act_for_provider", klass=Provider, use_groups=False,
                                    with_superuser=False, accept_global_perms=False)
    return roles.scope_objects(client.user, SCOPE_OF_ROLE[client.role])


@transaction.atomic
def set_scope(client: ApiClient, objects, *, actor=None) -> dict:
    """Make the client's scope exactly `objects` (divisions, clinics or providers, by role)."""
    name = SCOPE_OF_ROLE[client.role]
    if name != "acts_for_providers":
        return roles.set_scopes(client.user, {name: list(objects)}, actor=actor)
    held = {p.pk: p for p in scope_of(client)}
    want = {p.pk: p for p in objects}
    granted = [want[pk] for pk in sorted(want.keys() - held.keys())]
    removed = [held[pk] for pk in sorted(held.keys() - want.keys())]
    for provider in granted:
        roles.grant_provider(client.user, provider)
    for provider in removed:
        roles.revoke_provider(client.user, provider)
    if granted or removed:
        audit.record(action=AuditEvent.Action.UPDATE, obj=client.user, actor=actor,
                     summary=f"Scope of API client {client.name} (acts for): "
                     + "; ".join(f"{verb} {', '.join(map(str, items))}"
                                 for verb, items in (("granted", granted), ("removed", removed)) if items),
                     changes={"providers.act_for_provider": {"granted": [p.pk for p in granted],
                                                             "removed": [p.pk for p in removed]}})
    return {"granted": granted, "removed": removed}


def _lock(client: ApiClient) -> ApiClient:
    return ApiClient.objects.select_for_update().select_related("user", "application").get(pk=client.pk)


def _end_tokens(application) -> int:
    RefreshToken.objects.filter(application=application).delete()
    ended, _ = AccessToken.objects.filter(application=application).delete()
    return ended


@transaction.atomic
def revoke_client(client: ApiClient, *, actor=None) -> ApiClient:
    """The client can no longer call: its tokens end now, its secret is replaced by one
    nobody knows, and its service account is switched off."""
    client = _lock(client)
    if client.revoked_at is not None:
        return client
    ended = _end_tokens(client.application)
    client.application.client_secret = secrets.token_urlsafe(48)
    client.application.save(update_fields=["client_secret"])
    client.user.is_active = False
    client.user.save(update_fields=["is_active"])
    client.revoked_at = timezone.now()
    client.revoked_by = actor.authenticated_user if actor is not None else None
    client.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(action=AuditEvent.Action.UPDATE, obj=client, actor=actor,
                 summary=f"API client revoked: {client.name} ({ended} tokens ended)")
    return client


@transaction.atomic
def new_secret(client: ApiClient, *, actor=None) -> str:
    """Replace the client's secret (a leaked one, a vendor's rotation); tokens issued
    with the old one end too. Returns the new secret, shown once."""
    client = _lock(client)
    if client.revoked_at is not None:
        raise ClientError("This API client is revoked; register a new one.")
    secret = generate_client_secret()
    client.application.client_secret = secret
    client.application.save(update_fields=["client_secret"])
    ended = _end_tokens(client.application)
    audit.record(action=AuditEvent.Action.UPDATE, obj=client, actor=actor,
                 summary=f"API client {client.name}: new client secret ({ended} tokens ended)")
    return secret
