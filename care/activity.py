"""The care coordination activity report (seed 003: "clients served, categories of
activities and time spent"): per PCN and per coordinator, by month and for the year.

`figures()` reads the raw counts of a set of PCNs for a year (optionally one month, one
coordinator) in a handful of grouped queries, each served by an index on (pcn, date):
- people served: distinct patients with a contact (per PCN; a person served in two PCNs
  counts in each, so a division's figure is the sum of its PCNs');
- new and discharged enrolments (by when they started and ended);
- contacts and minutes, by month, activity category and channel;
- referrals by type (by the date sent): how many, how many whose loop closed, and the
  median days of each step among those that took it;
- follow-ups (tasks of kind follow_up) due in the period, and those done by their due date.

Two readings of the same figures:
- `coordinator_report`: a care coordinator's own PCNs, exact, with a table by coordinator;
- `manager_report`: a division manager's division, aggregates only: every count goes
  through reports.suppression (primary "<10", complementary "x" across months, PCNs,
  categories and channels, protected together as one cube whichever PCN is shown);
  minutes beside a withheld count, shares and medians of fewer than 10 are withheld.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from care.models import ContactCategory, ContactChannel
from care.referral_models import ReferralType
from reports import suppression as sup

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
# Additive counts: a month's figures add up to the year's, a PCN's to the division's.
ADDITIVE = ("new", "discharged", "contacts", "referrals", "fu_due", "fu_in_time")
# The steps whose length the report gives a median of: (label, later date, earlier date).
STEP_SPANS = [
    ("Sent to accepted", "accepted_on", "sent_on"),
    ("Accepted to booked", "booked_on", "accepted_on"),
    ("Booked to seen", "seen_on", "booked_on"),
    ("Seen to report", "report_on", "seen_on"),
    ("Report to closed", "closed_on", "report_on"),
]


@dataclass
class Period:
    year: int
    month: int | None = None

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, self.month or 1, 1)

    @property
    def end(self) -> datetime.date:
        """The day after the period."""
        if self.month and self.month < 12:
            return datetime.date(self.year, self.month + 1, 1)
        return datetime.date(self.year + 1, 1, 1)

    @property
    def label(self) -> str:
        return f"{MONTHS[self.month - 1]} {self.year}" if self.month else str(self.year)

    @property
    def months(self) -> list[int]:
        return [self.month] if self.month else list(range(1, 13))


def _zero():
    return defaultdict(int)


@dataclass
class Figures:
    """Raw counts, keyed by PCN id ("all" sums over the PCNs asked for)."""

    period: Period
    pcn_ids: list[int]
    # monthly[pcn][month][metric]; yearly (the whole period)[pcn][metric]
    monthly: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(_zero)))
    period_totals: dict = field(default_factory=lambda: defaultdict(_zero))
    minutes_monthly: dict = field(default_factory=lambda: defaultdict(_zero))
    categories: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(lambda: [0, 0])))
    channels: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(lambda: [0, 0])))
    # referrals[pcn or None (all)][type id or None (all)] = {"made", "closed", "medians": [...]}
    referrals: dict = field(default_factory=dict)
    type_ids: list = field(default_factory=list)


def _q(sql, params):
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def figures(pcn_ids, period: Period, *, coordinator_id: int | None = None) -> Figures:
    """Every raw figure of the report for these PCNs and period (one coordinator's only, if given)."""
    pcn_ids = sorted(int(p) for p in pcn_ids)
    f = Figures(period=period, pcn_ids=pcn_ids,
                type_ids=list(ReferralType.objects.order_by("position", "name").values_list("pk", flat=True)))
    if not pcn_ids:
        return f
    tz = settings.TIME_ZONE
    p = {"pcns": pcn_ids, "start": period.start, "end": period.end, "tz": tz, "by": coordinator_id}
    by = lambda col: f" AND {col} = %(by)s" if coordinator_id else ""  # noqa: E731

    # Contacts, from their monthly rollups (care.activity_models, kept by a trigger): the
    # report reads a few thousand rows for a PCN-year, not hundreds of thousands of contacts.
    for pcn, month, category, channel, contacts, minutes in _q(f"""
        SELECT pcn_id, extract(month FROM month)::int, category, channel, sum(contacts), sum(minutes)
        FROM care_contactmonth
        WHERE pcn_id = ANY(%(pcns)s) AND month >= %(start)s AND month < %(end)s {by('by_id')}
        GROUP BY 1, 2, 3, 4""", p):
        contacts, minutes = int(contacts), int(minutes)
        f.monthly[pcn][month]["contacts"] += contacts
        f.minutes_monthly[pcn][month] += minutes
        f.period_totals[pcn]["minutes"] += minutes
        for target in (f.categories[pcn][category], f.channels[pcn][channel]):
            target[0] += contacts
            target[1] += minutes
    for pcn, month, people in _q(f"""
        SELECT pcn_id, extract(month FROM month)::int, count(DISTINCT patient_id) FROM care_personmonth
        WHERE pcn_id = ANY(%(pcns)s) AND month >= %(start)s AND month < %(end)s {by('by_id')}
        GROUP BY GROUPING SETS ((pcn_id, 2), (pcn_id))""", p):
        if month is None:
            f.period_totals[pcn]["people"] = people
        else:
            f.monthly[pcn][month]["people"] = people

    # Enrolments started and ended, in local months.
    for column, metric, who in (("enrolled_at", "new", "enrolled_by_id"),
                                ("discharged_at", "discharged", "discharged_by_id")):
        for pcn, month, n in _q(f"""
            SELECT pcn_id, extract(month FROM {column} AT TIME ZONE %(tz)s)::int, count(*) FROM care_enrolment
            WHERE pcn_id = ANY(%(pcns)s) AND {column} >= (%(start)s::timestamp AT TIME ZONE %(tz)s)
              AND {column} < (%(end)s::timestamp AT TIME ZONE %(tz)s) {by(who)}
            GROUP BY 1, 2""", p):
            f.monthly[pcn][month][metric] = n

    # Follow-ups due in the period, and done by the end of their due day.
    for pcn, month, due, in_time in _q(f"""
        SELECT pcn_id, extract(month FROM due_on)::int, count(*),
               count(*) FILTER (WHERE done_at IS NOT NULL AND (done_at AT TIME ZONE %(tz)s)::date <= due_on)
        FROM care_task
        WHERE pcn_id = ANY(%(pcns)s) AND kind = 'follow_up' AND due_on >= %(start)s AND due_on < %(end)s
          {by('assigned_to_id')}
        GROUP BY 1, 2""", p):
        f.monthly[pcn][month]["fu_due"] = due
        f.monthly[pcn][month]["fu_in_time"] = in_time

    # Referrals by type: made, loop closed, median days of each step.
    medians = ", ".join(
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {later} - {earlier}) FILTER (WHERE {later} IS NOT NULL)"
        for _, later, earlier in STEP_SPANS)
    for pcn, type_id, made, closed, *meds in _q(f"""
        SELECT pcn_id, type_id, count(*), count(*) FILTER (WHERE step = 'closed'), {medians}
        FROM care_referral
        WHERE pcn_id = ANY(%(pcns)s) AND sent_on >= %(start)s AND sent_on < %(end)s {by('referred_by_id')}
        GROUP BY GROUPING SETS ((pcn_id, type_id), (pcn_id), (type_id), ())""", p):
        f.referrals.setdefault(pcn, {})[type_id] = {"made": made, "closed": closed, "medians": meds}
    for pcn, month, n in _q(f"""
        SELECT pcn_id, extract(month FROM sent_on)::int, count(*) FROM care_referral
        WHERE pcn_id = ANY(%(pcns)s) AND sent_on >= %(start)s AND sent_on < %(end)s {by('referred_by_id')}
        GROUP BY 1, 2""", p):
        f.monthly[pcn][month]["referrals"] = n
    for pcn in pcn_ids:
        for metric in ADDITIVE:
            f.period_totals[pcn][metric] = sum(f.monthly[pcn][m][metric] for m in period.months)
    return f


def coordinators(pcn_ids, period: Period) -> list[dict]:
    """Per coordinator (who logged contacts, enrolled or referred in these PCNs): their figures."""
    p = {"pcns": sorted(pcn_ids), "start": period.start, "end": period.end, "tz": settings.TIME_ZONE}
    rows = defaultdict(lambda: defaultdict(int))
    for uid, contacts, minutes in _q("""
        SELECT by_id, sum(contacts), sum(minutes) FROM care_contactmonth
        WHERE pcn_id = ANY(%(pcns)s) AND month >= %(start)s AND month < %(end)s AND by_id <> 0
        GROUP BY 1""", p):
        rows[uid].update(contacts=int(contacts), minutes=int(minutes))
    for uid, people in _q("""
        SELECT by_id, count(DISTINCT patient_id) FROM care_personmonth
        WHERE pcn_id = ANY(%(pcns)s) AND month >= %(start)s AND month < %(end)s AND by_id <> 0
        GROUP BY 1""", p):
        rows[uid]["people"] = people
    for uid, n in _q("""
        SELECT enrolled_by_id, count(*) FROM care_enrolment
        WHERE pcn_id = ANY(%(pcns)s) AND enrolled_by_id IS NOT NULL
          AND enrolled_at >= (%(start)s::timestamp AT TIME ZONE %(tz)s)
          AND enrolled_at < (%(end)s::timestamp AT TIME ZONE %(tz)s)
        GROUP BY 1""", p):
        rows[uid]["new"] = n
    for uid, made, closed in _q("""
        SELECT referred_by_id, count(*), count(*) FILTER (WHERE step = 'closed') FROM care_referral
        WHERE pcn_id = ANY(%(pcns)s) AND referred_by_id IS NOT NULL AND sent_on >= %(start)s AND sent_on < %(end)s
        GROUP BY 1""", p):
        rows[uid].update(referrals=made, closed=closed)
    for uid, due, in_time in _q("""
        SELECT assigned_to_id, count(*),
               count(*) FILTER (WHERE done_at IS NOT NULL AND (done_at AT TIME ZONE %(tz)s)::date <= due_on)
        FROM care_task WHERE pcn_id = ANY(%(pcns)s) AND kind = 'follow_up' AND assigned_to_id IS NOT NULL
          AND due_on >= %(start)s AND due_on < %(end)s
        GROUP BY 1""", p):
        rows[uid].update(fu_due=due, fu_in_time=in_time)
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=list(rows))}
    out = []
    for uid, r in rows.items():
        u = users.get(uid)
        out.append({"user": u, "name": (u.get_full_name() or u.username) if u else "—", **r})
    return sorted(out, key=lambda r: r["name"])


# --- tables ----------------------------------------------------------------------------


@dataclass
class Table:
    key: str
    caption: str
    columns: list
    rows: list
    total: list | None = None

    @property
    def labelled_rows(self):
        return [list(zip(self.columns, row)) for row in self.rows]

    @property
    def labelled_total(self):
        return list(zip(self.columns, self.total)) if self.total else None


@dataclass
class Report:
    title: str
    period: Period
    tables: list
    charts: list  # [(key, title, {"type", "labels", "datasets"})]
    suppressed: bool = False


def _share(part, whole):
    if not isinstance(part, int) or not isinstance(whole, int) or whole <= 0:
        return "—" if whole == 0 else "x"
    return f"{round(100 * part / whole)}%"


def _days(value):
    return "—" if value is None else f"{float(value):.1f}"


MONTH_COLUMNS = ["Month", "People served", "New enrolments", "Discharged", "Contacts", "Minutes",
                 "Referrals made", "Follow-ups due", "Done in time", "Share in time"]
REFERRAL_COLUMNS = ["Kind of referral", "Made", "Loop closed", "Share closed"] + [
    f"Median days: {label.lower()}" for label, _, _ in STEP_SPANS]


def _month_rows(get, period: Period, node):
    rows = []
    for m in period.months:
        v = {k: get(("mon", node, k, m)) for k in ("people", *ADDITIVE)}
        rows.append([MONTHS[m - 1], v["people"], v["new"], v["discharged"], v["contacts"],
                     get(("min", node, m)), v["referrals"], v["fu_due"], v["fu_in_time"],
                     _share(v["fu_in_time"], v["fu_due"])])
    v = {k: get(("yr", node, k)) for k in ("people", *ADDITIVE)}
    total = [period.label, v["people"], v["new"], v["discharged"], v["contacts"], get(("min", node, "yr")),
             v["referrals"], v["fu_due"], v["fu_in_time"], _share(v["fu_in_time"], v["fu_due"])]
    return rows, total


def _values(f: Figures) -> dict:
    """Every figure of the cube by id: nodes are each PCN ("p:<id>") and "all" (their sum)."""
    values = {}
    nodes = [f"p:{p}" for p in f.pcn_ids]
    for p in f.pcn_ids:
        node = f"p:{p}"
        for m in f.period.months:
            for k in ("people", *ADDITIVE):
                values[("mon", node, k, m)] = f.monthly[p][m][k]
            values[("min", node, m)] = f.minutes_monthly[p][m]
        for k in ADDITIVE:
            values[("yr", node, k)] = f.period_totals[p][k]
        values[("yr", node, "people")] = f.period_totals[p]["people"]
        values[("min", node, "yr")] = f.period_totals[p]["minutes"]
        for c in ContactCategory.values:
            values[("cat", node, c)], values[("catmin", node, c)] = f.categories[p][c]
        for c in ContactChannel.values:
            values[("ch", node, c)], values[("chmin", node, c)] = f.channels[p][c]
        refs = f.referrals.get(p, {})
        for t in f.type_ids:
            r = refs.get(t, {"made": 0, "closed": 0})
            values[("rt", node, t)] = r["made"]
            values[("rc", node, t)] = r["closed"]
        values[("rclosed", node)] = refs.get(None, {"closed": 0})["closed"]
    for key in [k for k in values if k[1] == nodes[0]] if nodes else []:
        total_key = (key[0], "all", *key[2:])
        values[total_key] = sum(values[(key[0], n, *key[2:])] for n in nodes)
    return values


def _lines(f: Figures, values: dict) -> list:
    """The sums a reader can check, as (cells, total) lines of reports.suppression."""
    nodes = [f"p:{p}" for p in f.pcn_ids]
    types = f.type_ids
    lines = []
    for node in nodes + ["all"]:
        for k in ADDITIVE:
            lines.append(([("mon", node, k, m) for m in f.period.months], ("yr", node, k)))
        lines.append(([("cat", node, c) for c in ContactCategory.values], ("yr", node, "contacts")))
        lines.append(([("ch", node, c) for c in ContactChannel.values], ("yr", node, "contacts")))
        lines.append(([("rt", node, t) for t in types], ("yr", node, "referrals")))
        lines.append(([("rc", node, t) for t in types], ("rclosed", node)))
    if len(nodes) > 1:
        for key in [k for k in values if k[1] == "all" and k[0] not in ("min", "catmin", "chmin")]:
            lines.append(([(key[0], n, *key[2:]) for n in nodes], key))
    return lines


def _protected(f: Figures) -> dict:
    """{figure id: display} with the small-cell rule applied to every count of the cube;
    minutes shown only beside a published count of contacts."""
    values = _values(f)
    counts = {k: v for k, v in values.items() if k[0] not in ("min", "catmin", "chmin")}
    shown = sup.protect_figures(counts, _lines(f, values))
    for k, v in values.items():
        if k[0] == "min":
            node, m = k[1], k[2]
            partner = ("yr", node, "contacts") if m == "yr" else ("mon", node, "contacts", m)
            shown[k] = v if isinstance(shown[partner], int) else sup.SECONDARY
        elif k[0] in ("catmin", "chmin"):
            partner = ("cat" if k[0] == "catmin" else "ch", k[1], k[2])
            shown[k] = v if isinstance(shown[partner], int) else sup.SECONDARY
    return shown


def _report(f: Figures, node: str, get, *, title: str, suppressed: bool, referral_medians) -> Report:
    period = f.period
    rows, total = _month_rows(get, period, node)
    tables = [Table("months", f"By month, {period.label}", MONTH_COLUMNS, rows, total)]
    cat_rows = [[label, get(("cat", node, c)), get(("catmin", node, c))] for c, label in ContactCategory.choices]
    tables.append(Table("categories", "Contacts by activity category", ["Activity category", "Contacts", "Minutes"],
                        cat_rows, ["All categories", get(("yr", node, "contacts")), get(("min", node, "yr"))]))
    ch_rows = [[label, get(("ch", node, c)), get(("chmin", node, c))] for c, label in ContactChannel.choices]
    tables.append(Table("channels", "Contacts by channel", ["Channel", "Contacts", "Minutes"], ch_rows,
                        ["All channels", get(("yr", node, "contacts")), get(("min", node, "yr"))]))
    ref_rows = []
    for t in ReferralType.objects.order_by("position", "name"):
        made, closed = get(("rt", node, t.pk)), get(("rc", node, t.pk))
        ref_rows.append([t.name, made, closed, _share(closed, made), *referral_medians(t.pk, made)])
    made, closed = get(("yr", node, "referrals")), get(("rclosed", node))
    tables.append(Table("referrals", "Referrals by kind (by the date sent)", REFERRAL_COLUMNS, ref_rows,
                        ["All referrals", made, closed, _share(closed, made), *referral_medians(None, made)]))
    charts = [
        ("activity-months", "Contacts and people served by month", {
            "type": "bar", "labels": [MONTHS[m - 1][:3] for m in period.months],
            "datasets": [{"label": "Contacts", "data": [sup.chart_value(r[4]) for r in rows]},
                         {"label": "People served", "data": [sup.chart_value(r[1]) for r in rows]}]}),
        ("activity-categories", "Contacts by activity category", {
            "type": "bar", "labels": [r[0] for r in cat_rows],
            "datasets": [{"label": "Contacts", "data": [sup.chart_value(r[1]) for r in cat_rows]}]}),
    ]
    return Report(title=title, period=period, tables=tables, charts=charts, suppressed=suppressed)


def _medians_getter(f: Figures, node_pcn, *, min_group: int | None):
    """Median days of each step for a type (None: all types) in a PCN (None: all the PCNs asked)."""
    def get(type_id, made_display):
        r = f.referrals.get(node_pcn, {}).get(type_id)
        if r is None:
            return ["—"] * len(STEP_SPANS)
        if min_group is not None and (not isinstance(made_display, int) or r["made"] < min_group):
            return ["x"] * len(STEP_SPANS)
        return [_days(v) for v in r["medians"]]
    return get


def coordinator_report(f: Figures, *, pcn_id: int | None, title: str) -> Report:
    """The report as a care coordinator reads it: exact figures of their PCN (or all of theirs)."""
    values = _values(f)
    node = f"p:{pcn_id}" if pcn_id else "all"
    medians = _medians_getter(f, pcn_id, min_group=None)
    return _report(f, node, lambda k: values.get(k, 0), title=title, suppressed=False, referral_medians=medians)


def manager_report(f: Figures, *, pcn_id: int | None, title: str) -> Report:
    """The report as a division manager reads it: the division's PCNs protected together."""
    shown = _protected(f)
    node = f"p:{pcn_id}" if pcn_id else "all"
    medians = _medians_getter(f, pcn_id, min_group=sup.THRESHOLD)
    report = _report(f, node, lambda k: shown.get(k, 0), title=title, suppressed=True, referral_medians=medians)
    if not pcn_id and len(f.pcn_ids) > 1:
        from registries.models import PCN

        names = dict(PCN.objects.filter(pk__in=f.pcn_ids).values_list("pk", "name"))
        rows = []
        for p in sorted(f.pcn_ids, key=lambda p: names.get(p, "")):
            n = f"p:{p}"
            rows.append([names.get(p, p), shown[("yr", n, "people")], shown[("yr", n, "new")],
                         shown[("yr", n, "discharged")], shown[("yr", n, "contacts")], shown[("min", n, "yr")],
                         shown[("yr", n, "referrals")], shown[("yr", n, "fu_due")], shown[("yr", n, "fu_in_time")]])
        report.tables.insert(1, Table("pcns", f"By PCN, {f.period.label}",
                                      ["PCN", *MONTH_COLUMNS[1:-1]], rows,
                                      ["Whole division", *[shown[("yr", "all", k)] for k in
                                                           ("people", "new", "discharged", "contacts")],
                                       shown[("min", "all", "yr")],
                                       *[shown[("yr", "all", k)] for k in ("referrals", "fu_due", "fu_in_time")]]))
    return report


def coordinator_table(pcn_ids, period: Period) -> Table:
    rows = []
    for r in coordinators(pcn_ids, period):
        rows.append([r["name"], r.get("people", 0), r.get("new", 0), r.get("contacts", 0), r.get("minutes", 0),
                     r.get("referrals", 0), r.get("closed", 0), r.get("fu_due", 0), r.get("fu_in_time", 0)])
    return Table("coordinators", f"By coordinator, {period.label}",
                 ["Coordinator", "People served", "New enrolments", "Contacts", "Minutes", "Referrals made",
                  "Loop closed", "Follow-ups due", "Done in time"], rows)
