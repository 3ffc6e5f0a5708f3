import datetime

from reports import forecast as fc

TODAY = datetime.date(2026, 1, 5)


def test_clears_when_leaving_outpaces_joining():
    # 120 waiting, 24 joined and 48 left in 12 weeks: net 2 a week, 60 weeks.
    out = fc.forecast(waiting=120, joined=24, left=48, people_per_household=2, extra_places_per_month=0, today=TODAY)
    s = out["scenarios"][0]
    assert s.weeks_to_clear == 60
    assert s.clears_on == TODAY + datetime.timedelta(days=420)
    assert s.series[0] == 120 and s.series[-1] == 0 and len(s.series) == 61
    assert "Clears in about 60 weeks" in fc.describe(s)


def test_does_not_clear_when_joining_is_at_least_as_fast():
    out = fc.forecast(waiting=500, joined=60, left=60, people_per_household=1, extra_places_per_month=0, today=TODAY)
    s = out["scenarios"][0]
    assert s.weeks_to_clear is None and s.clears_on is None
    assert fc.describe(s).startswith("Does not clear at current rates")
    assert s.series[-1] == 500


def test_extra_places_shorten_the_wait_by_the_households_they_take():
    # 13 extra places a month at 1 person per household: 3 households a week more.
    out = fc.forecast(waiting=300, joined=120, left=120, people_per_household=1,
                      extra_places_per_month=13, today=TODAY)
    base, extra = out["scenarios"]
    assert base.weeks_to_clear is None
    assert abs(extra.outflow_per_week - (10 + 3)) < 1e-9
    assert abs(extra.weeks_to_clear - 100) < 1e-9
    # Larger households take more places each: the same places clear fewer households.
    bigger = fc.forecast(waiting=300, joined=120, left=120, people_per_household=2,
                         extra_places_per_month=13, today=TODAY)["scenarios"][1]
    assert abs(bigger.weeks_to_clear - 200) < 1e-9


def test_beyond_the_horizon_says_so():
    s = fc.scenario("At current rates", 10_000, 0, 1, TODAY)
    assert s.clears_on is None and "more than 5 years" in fc.describe(s)
