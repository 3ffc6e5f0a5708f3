"""A care coordinator who leaves a PCN hands their open tasks there to its team queue at once
(care/staffing.py), in the transaction of the change: the PCN taken from them, their role
taken away, their account deactivated. What no signal tells, the morning sweep catches."""

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from guardian.models import UserObjectPermission

from attachment.core import access
from care.staffing import release_tasks

User = get_user_model()


@receiver(post_delete, sender=UserObjectPermission, dispatch_uid="care-release-on-pcn-revoked")
def pcn_taken_away(sender, instance, **kwargs):
    if instance.permission_id == access.permission_id("registries", "coordinate_care_in_pcn"):
        release_tasks(user_id=instance.user_id)


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="care-release-on-role-removed")
def role_taken_away(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_remove", "post_clear"):
        return
    if reverse:  # from the group's side: instance is the group, pk_set its users (None: all of them)
        for user_id in pk_set if pk_set is not None else [None]:
            release_tasks(user_id=user_id)
    else:
        release_tasks(user_id=instance.pk)


@receiver(post_save, sender=User, dispatch_uid="care-release-on-deactivated")
def account_deactivated(sender, instance, created, **kwargs):
    if not created and not instance.is_active:
        release_tasks(user_id=instance.pk)
