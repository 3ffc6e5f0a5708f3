"""When would today's waitlist clear? A straight-line projection, stated plainly.

The assumptions are those `assumptions()` words for the forecast page: the weekly
rates of joining and leaving the list over recent weeks carry on, extra places take
households off the list in proportion to today's household size, and nothing else
changes. When joining is at least as fast as leaving, the list never clears and the
page says so instead of inventing a date.

Pure functions: no database, no Django.
"""

import datetime
import math
from dataclasses import dataclass

TRAILING_WEEKS = 12
WEEKS_PER_MONTH = 52 / 12
HORIZON_WEEKS = 260  # five years: beyond that a straight line says nothing useful


@dataclass(frozen=True)
class Scenario:
    label: str
    outflow_per_week: float
    weeks_to_clear: float | None  # None: does not clear at these rates
    clears_on: datetime.date | None
    series: list  # waitlist size at the end of each week, from week 0


def assumptions(weeks: int) -> list[str]:
    """The forecast's assumptions in plain words, for the page."""
    return [
        f"Households keep joining the waitlist at the average weekly rate of the trailing {weeks} weeks "
        "(new registrations and returns to the list).",
        "Households keep leaving it at the average weekly rate of the same weeks, whatever the reason "
        "(attached, withdrawn, found ineligible).",
        "Extra places each month take households off the list: the places divided by the number of people "
        "in a household on the list today, spread evenly over the month's weeks.",
        "Nothing else changes. When households join at least as fast as they leave, the list never clears, "
        "and the forecast says so instead of inventing a date.",
    ]


def weekly_rate(count: int, weeks: int = TRAILING_WEEKS) -> float:
    return count / weeks if weeks else 0.0


def weeks_to_clear(waiting: float, inflow: float, outflow: float) -> float | None:
    """Weeks until the list is empty, or None when inflow >= outflow (it never clears)."""
    if waiting <= 0:
        return 0.0
    net = outflow - inflow
    if net <= 0:
        return None
    return waiting / net


def project(waiting: float, inflow: float, outflow: float, horizon: int = HORIZON_WEEKS) -> list:
    """Waitlist size at the end of each week (week 0 = today), floored at zero."""
    series = [waiting]
    size = waiting
    for _ in range(horizon):
        size = max(0.0, size + inflow - outflow)
        series.append(round(size, 1))
        if size == 0:
            break
    return series


def extra_households_per_week(extra_places_per_month: int, people_per_household: float) -> float:
    if extra_places_per_month <= 0:
        return 0.0
    return extra_places_per_month / max(people_per_household, 1.0) / WEEKS_PER_MONTH


def scenario(label, waiting, inflow, outflow, today, horizon=HORIZON_WEEKS) -> Scenario:
    weeks = weeks_to_clear(waiting, inflow, outflow)
    clears_on = None
    if weeks is not None and weeks <= horizon:
        clears_on = today + datetime.timedelta(days=math.ceil(weeks * 7))
    return Scenario(label, outflow, weeks, clears_on, project(waiting, inflow, outflow, horizon))


def forecast(*, waiting, joined, left, people_per_household, extra_places_per_month, today,
             weeks=TRAILING_WEEKS, horizon=HORIZON_WEEKS):
    """The current-rates scenario and, when extra places are given, the one with them."""
    inflow, outflow = weekly_rate(joined, weeks), weekly_rate(left, weeks)
    scenarios = [scenario("At current rates", waiting, inflow, outflow, today, horizon)]
    if extra_places_per_month > 0:
        extra = extra_households_per_week(extra_places_per_month, people_per_household)
        scenarios.append(scenario(
            f"With {extra_places_per_month} more places a month", waiting, inflow, outflow + extra, today, horizon
        ))
    return {"inflow": inflow, "outflow": outflow, "scenarios": scenarios}


def describe(s: Scenario, horizon: int = HORIZON_WEEKS) -> str:
    if s.weeks_to_clear is None:
        if s.label == "At current rates":
            return "Does not clear at current rates: households join the list at least as fast as they leave it."
        return "Does not clear even with these places: households still join at least as fast as they leave."
    if s.weeks_to_clear == 0:
        return "Nobody is waiting."
    if s.clears_on is None:
        return f"Would take more than {horizon // 52} years (about {s.weeks_to_clear / 52:.0f} years) at these rates."
    return f"Clears in about {math.ceil(s.weeks_to_clear)} weeks, around {s.clears_on:%B %-d, %Y}."
