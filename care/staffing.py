"""When a care coordinator leaves a PCN, their open tasks there go back to its team queue.

A coordinator leaves when an administrator takes the PCN from them, takes their care
coordinator role away, or deactivates their account. Whatever they had open in that PCN
(a call due tomorrow, a referral to chase) would otherwise wait on a worklist nobody
opens: it goes to the PCN's team queue, where the rest of the team sees it, with one audit
event per coordinator and PCN saying how many. Their tasks in the PCNs they keep stay theirs.

`release_tasks(user_id=)` runs at once, in the same transaction as the change (care/apps.py
listens for it), and `release_tasks()` for everyone each morning before the task rules
(care/generator.py): it catches what no signal tells (a PCN taken from a group, a change
made in the database). The generator's own assignments ask the same question
(access.care_coordinates_sql): a rule never gives a new task to someone who left.
"""

from __future__ import annotations

from django.db import connection, transaction

from attachment.core import access, audit
from attachment.core.audit import Actor

NAME = "care.staffing.release_tasks"


def release_tasks(*, user_id: int | None = None, actor: Actor | None = None) -> int:
    """Hand the open tasks of whoever no longer coordinates care in the task's PCN (or of
    `user_id` only) to the PCN's team queue; how many. Idempotent."""
    still_there = access.care_coordinates_sql("t.assigned_to_id", "t.pcn_id")
    one = "AND t.assigned_to_id = %(user)s" if user_id is not None else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""WITH gone AS MATERIALIZED (
                    SELECT t.id, t.assigned_to_id, t.pcn_id FROM care_task t
                    WHERE t.done_at IS NULL AND t.assigned_to_id IS NOT NULL {one} AND NOT {still_there}
                    FOR UPDATE OF t),
                released AS (UPDATE care_task t SET assigned_to_id = NULL FROM gone WHERE t.id = gone.id)
                SELECT g.assigned_to_id, g.pcn_id, p.name, count(*) FROM gone g
                JOIN registries_pcn p ON p.id = g.pcn_id
                GROUP BY g.assigned_to_id, g.pcn_id, p.name ORDER BY g.assigned_to_id, g.pcn_id""",
            {"user": user_id},
        )
        released = cursor.fetchall()
        if released:
            audit.record_many(
                [{"action": "update", "object_type": "auth.User", "object_id": str(user), "changes": {"pcn": pcn},
                  "summary": f"{count} open care task{'s' if count != 1 else ''} in {pcn_name} returned to the "
                             f"team queue: user {user} no longer coordinates care there"}
                 for user, pcn, pcn_name, count in released],
                actor=actor or Actor.task(NAME))
    return sum(count for *_, count in released)
