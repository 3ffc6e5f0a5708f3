"""What ends a kept token resolution (api/tokencache.py): the token deleted or changed, the client or
its service account changed (revoked, switched off, its role's group changed)."""

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save
from oauth2_provider.models import AccessToken

from api import tokencache
from api.models import ApiClient


def _token_deleted(sender, instance, **kwargs):
    tokencache.forget([instance.token_checksum])


def _token_saved(sender, instance, created=False, **kwargs):
    if not created:  # a new token has nothing kept yet (a tombstone would only slow its first minute)
        tokencache.forget([instance.token_checksum])


def _client_saved(sender, instance, **kwargs):
    tokencache.forget_application(instance.application_id)


def _user_saved(sender, instance, created=False, **kwargs):
    # Only service accounts hold API tokens; a person's save costs one indexed look-up.
    if not created:
        tokencache.forget_user(instance.pk)


def _groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear", "pre_clear"):
        return
    if not reverse:
        tokencache.forget_user(instance.pk)
    else:  # a group's users changed (pk_set None on clear: the group's members, asked before)
        for user_id in pk_set or instance.user_set.values_list("pk", flat=True):
            tokencache.forget_user(user_id)


def connect():
    User = get_user_model()
    post_delete.connect(_token_deleted, sender=AccessToken, dispatch_uid="api-token-deleted")
    post_save.connect(_token_saved, sender=AccessToken, dispatch_uid="api-token-saved")
    post_save.connect(_client_saved, sender=ApiClient, dispatch_uid="api-client-saved")
    post_save.connect(_user_saved, sender=User, dispatch_uid="api-user-saved")
    m2m_changed.connect(_groups_changed, sender=User.groups.through, dispatch_uid="api-user-groups")
