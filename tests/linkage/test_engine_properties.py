"""Properties of the linkage engine on random small lists, crowded on purpose (few names,
few birth dates, few homes, shared PHNs), so that every rule is exercised:

- a merge never happens without either a matching valid PHN or a score at or above the
  merge threshold;
- a merge never joins a row to a person whose valid PHN is another;
- every row gets exactly one decision, in the file's order, of the format's shape; a
  duplicate names an earlier row that is not itself a duplicate; a review has candidates.
"""

import datetime as dt

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkage.engine import LinkSettings, link
from registries.phn import make_phn

PHNS = [p for p in (make_phn(s) for s in range(40_000_000, 40_000_040)) if p][:12]
LAST = ["Singh", "Kaur", "Wong", "Lee", "Smith", "Smyth", "Nguyen"]
FIRST = ["William", "Bill", "Will", "Emma", "Emily", "Harpreet", "John", "Jon", "Mei", "May"]
BIRTHS = [dt.date(1980, 3, 12), dt.date(1980, 12, 3), dt.date(1980, 3, 13), dt.date(2010, 5, 1),
          dt.date(1950, 6, 20)]
HOMES = [("V5K 0A1", "604-555-1234"), ("V5K 0A2", "604-555-1235"), ("", ""), ("V3W 1A1", "")]
SETTINGS = LinkSettings()

record = st.fixed_dictionaries({
    "last_name": st.sampled_from(LAST), "first_name": st.sampled_from(FIRST),
    "date_of_birth": st.sampled_from(BIRTHS), "phn": st.sampled_from(["", "", *PHNS]),
    "gender": st.sampled_from(["", "F", "M"]), "home": st.sampled_from(HOMES),
    "email": st.sampled_from(["", "", "a@example.com"]),
    "community": st.sampled_from(["Burnaby", "Surrey"]),
    "household": st.sampled_from(["", "", "H1"]),
})


def frame(records, id_column, prefix, unique_phn=False):
    rows, used = [], set()
    for number, r in enumerate(records, start=1):
        phn = r["phn"]
        if unique_phn and phn in used:
            phn = ""  # the registry's PHNs are unique (a database constraint)
        used.add(phn)
        postal, phone = r["home"]
        row = {id_column: f"{prefix}{number}", "last_name": r["last_name"], "first_name": r["first_name"],
               "date_of_birth": r["date_of_birth"], "phn": phn, "gender": r["gender"],
               "postal_code": postal, "phone": phone, "email": r["email"], "community": r["community"]}
        if id_column == "list_id":
            row |= {"household": r["household"], "listed_on": "2024-01-01", "priority_factors": ""}
        rows.append(row)
    return pl.DataFrame(rows, schema_overrides={"date_of_birth": pl.Date})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(record, min_size=1, max_size=25), st.lists(record, min_size=1, max_size=15))
def test_a_merge_has_a_matching_phn_or_a_score_above_the_threshold(people, rows):
    registry = frame(people, "person_id", "P", unique_phn=True)
    local = frame(rows, "list_id", "L")
    result = link(registry, local, settings=SETTINGS)
    phn_of = dict(zip(registry["person_id"], registry["phn"]))
    row_phn = dict(zip(local["list_id"], local["phn"]))
    decisions = result.decisions
    assert [d.list_id for d in decisions] == local["list_id"].to_list()
    # Which rows stand for which: a row and the later rows marked as its duplicates.
    rows_of = {d.list_id: [d.list_id] for d in decisions}
    for d in decisions:
        if d.decision == "duplicate":
            rows_of[d.same_as].append(d.list_id)
    position = {d.list_id: i for i, d in enumerate(decisions)}
    for d in decisions:
        if d.decision == "merge":
            phns = {row_phn[r] for r in rows_of[d.list_id]} - {""}
            assert phn_of[d.person] in phns or d.score >= SETTINGS.merge_threshold, d
            if row_phn[d.list_id] and phn_of[d.person]:
                assert row_phn[d.list_id] == phn_of[d.person], d
        elif d.decision == "duplicate":
            assert position[d.same_as] < position[d.list_id]
            assert next(x for x in decisions if x.list_id == d.same_as).decision != "duplicate"
        elif d.decision == "review":
            assert d.candidates
            assert all(0.0 <= c.score <= 1.0 and c.evidence for c in d.candidates)
            assert all(not (row_phn[d.list_id] and phn_of[c.person] and row_phn[d.list_id] != phn_of[c.person])
                       for c in d.candidates)
        assert set(d.to_json()) <= {"list_id", "decision", "person", "score", "evidence", "candidates",
                                    "same_as"}
    figures = result.figures
    assert sum(figures[k] for k in ("merge", "review", "new", "duplicate")) == len(rows)
