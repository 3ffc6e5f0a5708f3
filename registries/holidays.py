"""The statutory holidays of the jurisdiction Attach serves: the days business-day rules
(care/generator.py) do not count.

ATTACH_HOLIDAYS names it as the `holidays` library does, country and subdivision:
"CA-BC" (the default) is British Columbia's eleven statutory holidays under the
Employment Standards Act, with the observed Monday when one falls on a weekend; "CA-AB"
Alberta's, "CA" Canada's federal ones; empty, none (Monday to Friday only). The library
is the source, not a table to keep filled: new years come with new releases of it.
"""

from __future__ import annotations

import datetime
import functools

import holidays
from django.conf import settings


@functools.lru_cache(maxsize=64)
def _of_year(spec: str, year: int) -> tuple[datetime.date, ...]:
    if not spec:
        return ()
    country, _, subdivision = spec.partition("-")
    return tuple(sorted(holidays.country_holidays(country, subdiv=subdivision or None, years=year)))


def around(day: datetime.date) -> list[datetime.date]:
    """The statutory holidays of the year before `day`'s to the year after: every one a
    business-day rule counting from a date near `day` can meet."""
    return [d for year in range(day.year - 1, day.year + 2) for d in _of_year(settings.ATTACH_HOLIDAYS, year)]
