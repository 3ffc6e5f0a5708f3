"""Reading reports out of a division's snapshot, with small-cell suppression applied.

Everything a report shows (on the page, in its chart, in its CSV) comes from here, and
comes already suppressed: views and templates never see a raw count below 10.

A report's figures form a cube: nodes (the division, its PCNs, its communities) by
categories (weeks of the period, offer outcomes, panel-size bands). Every node's
categories add up to its total, and every category adds up the tree (a PCN is the sum
of its communities, the division of its PCNs and of communities outside any PCN). Each
of those sums is a line in the sense of reports/suppression.py, and the whole cube is
protected at once, whichever node the reader filtered on: looking at a community, at
its PCN and at the division in turn shows the same suppression pattern, so the three
views cannot be subtracted from one another to undo it.
"""

import datetime
from dataclasses import dataclass, field

from django.core.cache import cache

from reports import suppression as sup
from reports.models import ReportSnapshot
from reports.offers import OUTCOMES
from reports.services import DAYS, PANEL_BUCKETS, PRIORITY_GROUPS
from reports.suppression import cube_values, protect_cube, tree

CUBE_CACHE_SECONDS = 26 * 3600  # a snapshot lives a day; its key changes when rebuilt
PERIODS = [(4, "Last 4 weeks"), (13, "Last 13 weeks"), (26, "Last 26 weeks"), (52, "Last 52 weeks")]
GRANULARITY = [("week", "By week"), ("month", "By month")]


@dataclass
class Table:
    caption: str
    columns: list
    rows: list  # each: [label, *display values]
    total: list | None = None
    numeric_from: int = 1
    # Columns counting providers or places, not people: published exactly, never "<10".
    exact_columns: tuple = ()

    @property
    def labelled_rows(self):
        """Each row as [(column name, value)]: a phone shows each figure beside its column's name."""
        return [list(zip(self.columns, row)) for row in self.rows]

    @property
    def labelled_total(self):
        return list(zip(self.columns, self.total)) if self.total else None


@dataclass
class Report:
    key: str
    title: str
    summary: str
    tables: list
    chart: dict | None = None
    notes: list = field(default_factory=list)

    @property
    def chart_withheld(self):
        """A chart with points to plot, every one of them suppressed: nothing would be drawn."""
        if not self.chart:
            return False
        points = [v for ds in self.chart["datasets"] for v in ds["data"]]
        return bool(points) and all(v is None for v in points)

    @property
    def wide(self):
        """Tables of more than three columns need the card's whole width, the chart above them."""
        return any(len(t.columns) > 3 for t in self.tables)


@dataclass
class Scope:
    """What the reader filtered on, resolved against the snapshot."""

    snapshot: ReportSnapshot
    weeks: int
    by: str
    pcn: int | None = None
    community: int | None = None

    @property
    def data(self):
        return self.snapshot.data

    @property
    def node(self):
        if self.community:
            return f"c:{self.community}"
        if self.pcn:
            return f"p:{self.pcn}"
        return "d"

    @property
    def level(self):
        if self.community:
            return ("community", self.community)
        if self.pcn:
            return ("pcn", self.pcn)
        return ("division", self.snapshot.division_id)

    @property
    def label(self):
        if self.community:
            return self.data["communities"][str(self.community)]["name"]
        if self.pcn:
            return self.data["pcns"][str(self.pcn)]
        return str(self.snapshot.division)

    def communities(self):
        """The community ids (as strings) the filter covers."""
        items = self.data["communities"].items()
        if self.community:
            return [str(self.community)]
        if self.pcn:
            return [cid for cid, c in items if c["pcn"] == self.pcn]
        return [cid for cid, _ in items]


def protected(scope, name, leaf_values, categories, category_lines):
    """protect_cube, remembered per snapshot and period: the pattern does not depend on
    the area filtered on, and auditing a year of weeks takes a noticeable moment."""
    snapshot = scope.snapshot
    key = f"reports:cube:{snapshot.pk}:{snapshot.built_at.timestamp()}:{name}:{scope.weeks}:{scope.by}"
    shown = cache.get(key)
    if shown is None:
        shown = protect_cube(scope.data, leaf_values, categories, category_lines)
        cache.set(key, shown, CUBE_CACHE_SECONDS)
    return shown


def latest_snapshot(division_id):
    return ReportSnapshot.objects.filter(division_id=division_id).select_related("division").order_by("-built_at").first()


# --- periods and buckets ------------------------------------------------------------

def buckets(scope):
    """[(label, first day index, last day index)] covering the period, oldest first."""
    start_day = datetime.date.fromisoformat(scope.data["start"])
    first = DAYS - 7 * scope.weeks
    out = []
    if scope.by == "week":
        for lo in range(first, DAYS, 7):
            a, b = start_day + datetime.timedelta(days=lo), start_day + datetime.timedelta(days=lo + 6)
            out.append((f"{a:%b} {a.day} – {b:%b} {b.day}", lo, lo + 6))
        return out
    lo = first
    while lo < DAYS:
        day = start_day + datetime.timedelta(days=lo)
        nxt = (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        hi = min(DAYS - 1, lo + (nxt - day).days - 1)
        label = f"{day:%b %Y}"
        if lo == first and day.day != 1:
            label += f" (from {day:%b} {day.day})"
        if hi == DAYS - 1 and (start_day + datetime.timedelta(days=hi + 1)).day != 1:
            label += " (to date)"
        out.append((label, lo, hi))
        lo = hi + 1
    return out


def _sum(series, lo, hi):
    return sum(series[lo:hi + 1])


# --- the reports --------------------------------------------------------------------

def waitlist_report(scope):
    per = scope.data["by_community"]
    picked = scope.communities()
    rows, labels, points = [], [], []
    for label, _lo, hi in buckets(scope):
        size = sum(per[c]["base"] + sum(per[c]["joins"][: hi + 1]) - sum(per[c]["leaves"][: hi + 1]) for c in picked)
        shown = sup.cell(size)
        rows.append([label, shown])
        labels.append(label)
        points.append(sup.chart_value(shown))
    waiting = sup.cell(sum(per[c]["waiting"] for c in picked))
    people = sup.cell(sum(per[c]["waiting_people"] for c in picked))
    return Report(
        key="waitlist",
        title="Waitlist size over time",
        summary=f"Households on the waitlist (waiting or offered) at the end of each period. Now: {waiting} households, {people} people.",
        tables=[Table("Households waiting at the end of each period", ["Period", "Households waiting"], rows)],
        chart={"type": "line", "labels": labels, "datasets": [{"label": "Households waiting", "data": points}]},
    )


def flows_report(scope):
    data = scope.data
    per = data["by_community"]
    periods = buckets(scope)
    cats = [str(i) for i in range(len(periods))] + ["T"]
    lo_all, hi_all = periods[0][1], periods[-1][2]
    measures = [("reg", "New registrations (households)"), ("att", "Attachments (households)")]
    shown = {}
    for key, _ in measures:
        leaf = {}
        for cid, s in per.items():
            leaf[cid] = {str(i): _sum(s[key], lo, hi) for i, (_, lo, hi) in enumerate(periods)}
            leaf[cid]["T"] = _sum(s[key], lo_all, hi_all)
        shown[key] = protected(scope, f"flows:{key}", leaf, cats, [(cats[:-1], "T")])
    node = scope.node
    rows = [[label] + [shown[k][(node, str(i))] for k, _ in measures] for i, (label, _, _) in enumerate(periods)]
    total = ["Total for the period"] + [shown[k][(node, "T")] for k, _ in measures]
    by_period = Table("By period", ["Period"] + [m for _, m in measures], rows, total)

    children, names = tree(data)
    breakdown_nodes = _breakdown_nodes(scope, children)
    breakdown = Table(
        "By PCN and community, whole period",
        ["Area"] + [m for _, m in measures],
        [[names[n]] + [shown[k][(n, "T")] for k, _ in measures] for n in breakdown_nodes],
        total,
    )
    return Report(
        key="flows",
        title="New registrations and attachments",
        summary=f"Households that registered, and households attached to a provider, {scope.by}ly.",
        tables=[by_period, breakdown],
        chart={
            "type": "bar",
            "labels": [label for label, _, _ in periods],
            "datasets": [
                {"label": m, "data": [sup.chart_value(shown[k][(node, str(i))]) for i in range(len(periods))]}
                for k, m in measures
            ],
        },
    )


def _breakdown_nodes(scope, children):
    """The rows of a breakdown table: the nodes below the one the reader filtered on."""
    node = scope.node
    if node.startswith("c:"):
        return [node]
    out = []
    for kid in children[node]:
        out.append(kid)
        if kid.startswith("p:"):
            out.extend(children[kid])
    return out


def waits_report(scope):
    level, key = scope.level
    found = {}
    for row in scope.data["waits"]:
        if row["level"] == level and row["key"] == key:
            found[(row["weeks"], row["group"])] = row
    groups = [(g, label) for g, label, _ in PRIORITY_GROUPS] + [("all", "Everyone")]

    def pct(weeks, group, which):
        row = found.get((weeks, group))
        if not row:
            return None
        return sup.percentile_display(row["n"], row[which])

    rows = []
    for g, label in groups:
        rows.append([
            label,
            _days(pct(scope.weeks, g, "p50")), _days(pct(scope.weeks, g, "p90")),
            _days(pct(0, g, "p50")), _days(pct(0, g, "p90")),
        ])
    labels = [label for _, label in groups]
    return Report(
        key="waits",
        title="How long people wait, by priority group",
        summary="Median and 90th-percentile wait in days: of people attached in the period "
                "(registration to attachment) and of people still waiting (registration to today).",
        tables=[Table(
            "Wait in days",
            ["Priority group", "Attached: median", "Attached: 90th percentile",
             "Still waiting: median", "Still waiting: 90th percentile"],
            rows,
        )],
        chart={
            "type": "bar",
            "labels": labels,
            "datasets": [
                {"label": "Attached in period: median", "data": [pct(scope.weeks, g, "p50") for g, _ in groups]},
                {"label": "Attached in period: 90th percentile", "data": [pct(scope.weeks, g, "p90") for g, _ in groups]},
                {"label": "Still waiting: median", "data": [pct(0, g, "p50") for g, _ in groups]},
                {"label": "Still waiting: 90th percentile", "data": [pct(0, g, "p90") for g, _ in groups]},
            ],
        },
        notes=["A dash means the group has fewer than 10 people, so its wait is not shown."],
    )


def _days(value):
    return "–" if value is None else round(value)


def capacity_report(scope):
    data = scope.data
    measures = [
        ("waiting", "Households waiting"),
        ("waiting_people", "People waiting"),
        ("accepting", "Providers accepting"),
        ("declared", "New patients declared"),
        ("open_places", "Open places now"),
    ]
    people = ("waiting", "waiting_people")  # suppressed; providers and places are published exactly
    leaf = {cid: {k: s[k] for k, _ in measures} for cid, s in data["by_community"].items()}
    shown = {k: protected(scope, f"capacity:{k}", leaf, [k], []) if k in people else cube_values(data, leaf, [k])
             for k, _ in measures}
    children, names = tree(data)
    nodes = _breakdown_nodes(scope, children)
    rows = [[names[n]] + [shown[k][(n, k)] for k, _ in measures] for n in nodes]
    total = [f"Total: {scope.label}"] + [shown[k][(scope.node, k)] for k, _ in measures]
    communities = [n for n in nodes if n.startswith("c:")]
    return Report(
        key="capacity",
        title="Capacity declared and people waiting, by community",
        summary="Where supply is short: people waiting against the places providers declared and still have open.",
        tables=[Table("By community", ["Area"] + [m for _, m in measures], rows, total,
                      exact_columns=tuple(i + 1 for i, (k, _) in enumerate(measures) if k not in people))],
        chart={
            "type": "bar",
            "labels": [names[n] for n in communities],
            "datasets": [
                {"label": "People waiting", "data": [sup.chart_value(shown["waiting_people"][(n, "waiting_people")]) for n in communities]},
                {"label": "New patients declared", "data": [sup.chart_value(shown["declared"][(n, "declared")]) for n in communities]},
                {"label": "Open places now", "data": [sup.chart_value(shown["open_places"][(n, "open_places")]) for n in communities]},
            ],
        },
        notes=["A provider's places count in the community of their first clinic.",
               "Declared places are the newest declaration of each accepting provider.",
               "Counts of providers and places are shown exactly: they are not about people."],
    )


def panels_report(scope):
    data = scope.data
    bands = [f"{lo:,}" if hi == lo else (f"{lo:,} or more" if hi is None else f"{lo:,}–{hi:,}") for lo, hi in PANEL_BUCKETS]
    cats = [str(i) for i in range(len(bands))] + ["providers", "accepting", "panel_total"]
    leaf = {}
    for cid, s in data["by_community"].items():
        leaf[cid] = {str(i): n for i, n in enumerate(s["panel_buckets"])}
        leaf[cid].update(providers=s["providers"], accepting=s["accepting"], panel_total=s["panel_total"])
    # Providers and the sizes of their panels describe practices, not people: exact figures.
    shown = cube_values(data, leaf, cats)
    node = scope.node
    rows = [[band, shown[(node, str(i))]] for i, band in enumerate(bands)]
    providers, panel_total = shown[(node, "providers")], shown[(node, "panel_total")]
    mean = round(panel_total / providers) if providers else "–"
    facts = Table(
        "Providers and panels",
        ["Figure", "Value"],
        [["Providers", providers], ["Providers accepting new patients", shown[(node, "accepting")]],
         ["People on open panels", panel_total], ["Average panel size", mean]],
        exact_columns=(1,),
    )
    return Report(
        key="panels",
        title="Providers accepting and panel sizes",
        summary="Providers by the number of people on their panel (open panel entries).",
        tables=[Table("Providers by panel size", ["Panel size", "Providers"], rows, ["Total providers", providers],
                      exact_columns=(1,)), facts],
        chart={
            "type": "bar",
            "labels": bands,
            "datasets": [{"label": "Providers", "data": [shown[(node, str(i))] for i in range(len(bands))]}],
        },
        notes=["Counts of providers and panel sizes are shown exactly: they are not about people."],
    )


OFFER_PARTS = ["sent", "clinic_accepted", "attached", "patient_declined", "clinic_declined", "expired", "withdrawn"]


def offers_report(scope):
    data = scope.data
    offers = data.get("offers")
    if offers is None:
        return None
    labels = dict(OUTCOMES)
    # The status an offer has now: these partition the offers sent.
    parts = [
        ("awaiting_clinic", "Awaiting the clinic"),
        ("awaiting_patient", "Accepted by the clinic, awaiting the patient"),
        ("attached", labels["attached"]),
        ("patient_declined", labels["patient_declined"]),
        ("clinic_declined", labels["clinic_declined"]),
        ("expired", labels["expired"]),
        ("withdrawn", labels["withdrawn"]),
    ]
    weeks = str(scope.weeks)
    leaf = {}
    for cid in data["communities"]:
        f = offers["by_community"].get(cid, {}).get(weeks, {})
        accepted_open = f.get("clinic_accepted", 0) - f.get("attached", 0) - f.get("patient_declined", 0)
        leaf[cid] = {
            "sent": f.get("sent", 0),
            "awaiting_clinic": f.get("open", 0) - accepted_open,
            "awaiting_patient": accepted_open,
            "attached": f.get("attached", 0),
            "patient_declined": f.get("patient_declined", 0),
            "clinic_declined": f.get("clinic_declined", 0),
            "expired": f.get("expired", 0),
            "withdrawn": f.get("withdrawn", 0),
            "accepted": f.get("clinic_accepted", 0),
        }
    cats = [k for k, _ in parts] + ["sent", "accepted"]
    lines = [([k for k, _ in parts], "sent"), (["awaiting_patient", "attached", "patient_declined"], "accepted")]
    shown = protected(scope, "offers", leaf, cats, lines)
    node = scope.node
    rows = [[label, shown[(node, k)]] for k, label in parts]
    rows.insert(2, ["Accepted by the clinic (all)", shown[(node, "accepted")]])
    outcome_table = Table("Offers sent in the period, by where they stand now", ["Outcome", "Offers"], rows,
                          ["Offers sent", shown[(node, "sent")]])
    reason_rows, reason_notes = _reason_rows(offers, weeks, shown, labels)
    reason_table = Table("Decline reasons (whole division)", ["Declined by", "Reason", "Offers"], reason_rows, numeric_from=2)
    level, key = scope.level
    days = next((r for r in offers["days_to_attach"] if r["level"] == level and r["key"] == key
                 and str(r["weeks"]) == weeks and r["group"] == "all"), None)
    p50 = _days(sup.percentile_display(days["n"], days["p50"]) if days else None)
    p90 = _days(sup.percentile_display(days["n"], days["p90"]) if days else None)
    days_table = Table("Days from offer to attachment", ["Figure", "Days"],
                       [["Median", p50], ["90th percentile", p90]])
    return Report(
        key="offers",
        title="Offers and their outcomes",
        summary="Offers sent in the period, what became of them, why they were declined, and how long attaching took.",
        tables=[outcome_table, reason_table, days_table],
        chart={
            "type": "bar",
            "labels": [label for _, label in parts],
            "datasets": [{"label": "Offers", "data": [sup.chart_value(shown[(node, k)]) for k, _ in parts]}],
        },
        notes=["A reason is shown word for word only when at least 10 declines gave it; free text may name people."]
        + reason_notes,
    )


def _reason_rows(offers, weeks, shown, labels):
    """Decline reasons of the whole division, protected against the division's published totals.

    Reasons are a partition of the division's declines of each kind. They are shown only
    when that total is itself published (else the reasons would add back up to it) and
    the partition can be protected without withholding the total.
    """
    rows, notes = [], []
    for status in ("clinic_declined", "patient_declined"):
        reasons = sorted(
            (r for r in offers["reasons"] if str(r["weeks"]) == weeks and r["by"] == status),
            key=lambda r: (r["reason"] == "", r["reason"]),
        )
        total = shown[("d", status)]
        if not reasons:
            continue
        if not isinstance(total, int):
            notes.append(f"{labels[status]}: too few to show reasons.")
            continue
        values = {("r", i): r["n"] for i, r in enumerate(reasons)}
        values["total"] = total
        protected = sup.protect_figures(values, [([("r", i) for i in range(len(reasons))], "total")])
        if not isinstance(protected["total"], int):
            notes.append(f"{labels[status]}: too few to show reasons.")
            continue
        for i, r in enumerate(reasons):
            text = r["reason"].capitalize() or "Other reasons (each given fewer than 10 times)"
            rows.append([labels[status], text, protected[("r", i)]])
    return rows, notes


def all_reports(scope):
    reports = [waitlist_report(scope), flows_report(scope), waits_report(scope), capacity_report(scope), panels_report(scope)]
    offers = offers_report(scope)
    if offers is not None:
        reports.append(offers)
    return reports


REPORTS = {
    "waitlist": waitlist_report,
    "flows": flows_report,
    "waits": waits_report,
    "capacity": capacity_report,
    "panels": panels_report,
    "offers": offers_report,
}


def warm(snapshots):
    """Protect every period view of fresh snapshots now, so no reader waits for it."""
    for snapshot in snapshots:
        for weeks, _ in PERIODS:
            for by, _ in GRANULARITY:
                all_reports(Scope(snapshot=snapshot, weeks=weeks, by=by))
