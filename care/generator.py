"""The task generator: rules that make (and close) care tasks from what the records say,
run for the whole province by the beat schedule.

Each rule is `rule(today) -> (made, closed)`, set-based (one INSERT ... SELECT ... ON
CONFLICT DO NOTHING on the task's rule key, one UPDATE for the tasks it closes), so
running it twice changes nothing the second time.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.utils import timezone

from care.referrals import chase_overdue

RULES: list[Callable[[datetime.date], tuple[int, int]]] = [
    chase_overdue,
]


def make_due_tasks(today: datetime.date | None = None) -> dict:
    """Run every rule for `today`: {rule name: {"made": n, "closed": n}}."""
    today = today or timezone.localdate()
    out = {}
    for rule in RULES:
        made, closed = rule(today)
        out[rule.__name__] = {"made": made, "closed": closed}
    return out
