"""Small-cell suppression for every count of people the reports publish. Pure functions, no Django.

Counts of people (households waiting, registrations, attachments, offers, people in a
wait group) are suppressed. Counts of providers, of places they declare and of panel
sizes say nothing about a person and are published exactly (cube_values); they never
share a line with a count of people, so publishing them undoes no suppression.

The rule (what a reader of a report, or of its CSV, can rely on):

1. Primary suppression. Every count from 1 to 9 is shown as "<10". Zero is shown as 0
   (an empty cell discloses nobody).

2. Tables are published as *lines*: a list of cells and the total they add up to
   (the communities of a PCN and the PCN's figure; the weeks of a period and the
   period's total). A reader who knows this rule knows that a "<10" figure holds 1..9
   and that a secondary figure ("x") holds 0 or at least 10. A line is *protected* when
   it never has exactly one withheld figure (that one would be the total minus the
   rest), and every "<10" cell in it can still be any of at least MIN_POSSIBLE (5) of the
   values 1..9, given the line's total and the possible values of its other withheld
   figures.

3. Secondary suppression. While a line is not protected, its cheapest not-yet-withheld
   cell is withheld too and shown as "x": the lowest `cost` first (the open figures: a
   community's before a division's, a reason before a total, a flow before a stock), then
   the smallest of 10 or more; never a zero (withheld, a zero among zeros is pinned back by
   the total at once; the audit's last resort only). If even withholding every cell does not protect it, the
   total is withheld instead ("x") and the line is tried again from its primary cells.

4. A figure often sits in several lines (a PCN's weekly count is a cell of the
   division's week and the total of its communities' week, and a week of the PCN's
   period); all lines are protected together, and a figure withheld for one line is
   withheld everywhere. The whole cube is protected the same way whichever area the
   reader filters on, so two filtered views cannot be subtracted from one another.

5. Percentiles (median and 90th-percentile wait) of a group of fewer than 10 people are
   not published, and neither is the group's size.

6. Audit. Lines protected one at a time can still be undone together (one line bounds a
   withheld figure, which then pins a small cell in another). So the result is audited
   as an attacker would work: each line narrows the possible values of its withheld
   figures, repeatedly, until nothing narrows further. A "<10" figure left with fewer
   than MIN_POSSIBLE values, or a withheld figure left with one, gets one more partner
   withheld and the whole is protected and audited again.

Guarantee: no "<10" figure can be narrowed to fewer than 5 of the values 1..9, and no
withheld figure to a single value, by totals and differences
(tests/reports/test_suppression.py tries, by brute force, on lines and on a cube).
"""

from __future__ import annotations

from dataclasses import dataclass

THRESHOLD = 10
MIN_POSSIBLE = 5  # a "<10" figure must stay any of at least 5 of the values 1..9 to an attacker
PRIMARY = "<10"
SECONDARY = "x"
INF = float("inf")


def is_small(n) -> bool:
    return n is not None and 0 < n < THRESHOLD


def cell(n):
    """One count on its own (no total beside it): primary suppression only."""
    if n is None:
        return None
    return PRIMARY if is_small(n) else n


def percentile_display(n_people: int, value):
    """A percentile of a group: withheld when the group has fewer than THRESHOLD people."""
    if n_people < THRESHOLD or value is None:
        return None
    return value


# --- interval arithmetic over what an attacker knows a suppressed cell may hold ---------

def _merge(intervals):
    out = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _minkowski(a, b, cap):
    return _merge([(x0 + y0, min(x1 + y1, cap)) for x0, x1 in a for y0, y1 in b if x0 + y0 <= cap])


def _domain(kind, cap):
    if kind == PRIMARY:
        return [(1, THRESHOLD - 1)]
    return _merge([(0, 0)] + ([(THRESHOLD, cap)] if cap >= THRESHOLD else []))


def line_is_protected(values, kinds, total, total_kind=None) -> bool:
    """Whether every primary cell keeps MIN_POSSIBLE possible values given what the line publishes.

    `kinds[i]` (and `total_kind`) is PRIMARY, SECONDARY or None (shown). The line says
    shown cells + suppressed cells = total. A line with exactly one unknown (one
    suppressed cell, or a withheld total over shown cells) gives that unknown away.
    Otherwise a value `a` of a primary cell stays possible when some values of the other
    suppressed cells and of the total (if withheld) complete the equation.
    """
    suppressed = [i for i, k in enumerate(kinds) if k]
    unknowns = len(suppressed) + (1 if total_kind else 0)
    if unknowns == 0:
        return True
    if unknowns == 1:
        # Worked back as the total minus the rest (or the sum of the rest); a secondary
        # figure worked back here would unlock the line it protects elsewhere.
        return False
    shown = sum(v for v, k in zip(values, kinds) if not k)
    cap = max(total, THRESHOLD) + THRESHOLD
    totals = _domain(total_kind, cap) if total_kind else [(total, total)]
    # What the suppressed cells before and after each one can add up to.
    doms = [_domain(kinds[j], cap) for j in suppressed]
    prefix = [[(0, 0)]]
    for d in doms:
        prefix.append(_minkowski(prefix[-1], d, cap))
    suffix = [[(0, 0)]]
    for d in reversed(doms):
        suffix.append(_minkowski(suffix[-1], d, cap))
    suffix.reverse()
    for n, i in enumerate(suppressed):
        if kinds[i] != PRIMARY:
            continue
        others = _minkowski(prefix[n], suffix[n + 1], cap)
        possible = 0
        for a in range(1, THRESHOLD):
            # Values the other suppressed cells would need to add up to: total - shown - a.
            needed = [(lo - shown - a, hi - shown - a) for lo, hi in totals]
            if any(max(n0, o0) <= min(n1, o1) for n0, n1 in needed for o0, o1 in others):
                possible += 1
        if possible < MIN_POSSIBLE:
            return False
    return True


@dataclass
class Line:
    cells: list  # display values: int, PRIMARY or SECONDARY
    total: object  # int, PRIMARY or SECONDARY (withheld)
    kinds: list  # per cell: None, PRIMARY or SECONDARY


def protect_figures(values: dict, lines: list, *, hidden=frozenset(), cost=None) -> dict:
    """Suppress a set of related figures; returns {figure id: display value}.

    `values` maps a figure's id to its count; `lines` lists (cell ids, total id): each
    line's cells add up to its total. A figure may be a cell of one line and the total
    of another (a PCN is a cell of its division's line and the total of its
    communities' line), so the lines are protected together until nothing changes:
    each line gets secondary cells until protected (rule 3), or its total is withheld.

    Lines protected one by one can still be undone together (one line bounds a
    withheld figure, which pins a small cell in another line), so the result is then
    audited the way an attacker would work (rule 6): every line narrows what its
    withheld figures can be, until nothing narrows further; a small cell left with
    fewer than MIN_POSSIBLE values, or a withheld figure left with one, gets another
    partner withheld in one of its lines, and the whole is checked again.

    `hidden`: figures never published, which only join lines (the open figures' "people
    on the list during the month" ties a month's start and inflows to its end and
    outflows). They are unknowns to the attacker, and working one out gives nothing
    away; a weak figure's partners are also sought in the lines that share a hidden
    figure with its own. `cost`: {figure id: rank}; partners of lower rank are withheld
    first (the open figures withhold a month's flows before its stocks, which every
    other month's equations would pull after them).
    """
    kinds = {fid: (PRIMARY if is_small(v) else None) for fid, v in values.items()}
    for fid in hidden:
        kinds[fid] = SECONDARY
    cost = cost or {}
    by_figure = _by_figure(lines)
    while True:
        _line_pass(values, lines, kinds, hidden, cost, by_figure)
        weak = [fid for fid in _audit(values, lines, kinds, hidden) if fid not in hidden]
        if not weak:
            break
        if not _strengthen(values, lines, kinds, weak, by_figure, hidden, cost):
            break  # everything around the weak figures is already withheld
    return {fid: _show(values[fid], kinds[fid]) for fid in values}

def _derived(lines, kinds, hidden, by_figure):
    """The hidden figures a reader works out exactly: a line whose only unknown is one of
    them gives it (the month's "on the list" is last month's stock plus its new people), and
    that may give another. They are known, not unknowns, to the lines they are in."""
    known = {}  # hidden figure -> the line that gives it
    # In the lines' order, not the set's: the same figures give the same publication.
    todo = [n for f, ns in by_figure.items() if f in hidden for n in ns]
    todo.reverse()
    while todo:
        n = todo.pop()
        cells, total = lines[n]
        unknown = [f for f in [*cells, total] if kinds[f] and f not in known]
        if len(unknown) == 1 and unknown[0] in hidden:
            known[unknown[0]] = n
            todo += by_figure.get(unknown[0], [])
    return known


def _line_pass(values, lines, kinds, hidden=frozenset(), cost=None, by_figure=None):
    """Rule 3, line by line, until no line needs more; updates `kinds` in place.

    Partners are chosen by `cost` first (the cheapest figure is withheld: a community's
    before a division's, a reason before a total), then among figures of 10 or more before
    zeros (withholding a zero adds little uncertainty), then the smallest."""
    checked = {}  # line number -> the kinds it was last found protected with
    cost = cost or {}
    if by_figure is None:
        by_figure = _by_figure(lines)
    changed = True
    while changed:
        changed = False
        derived = _derived(lines, kinds, hidden, by_figure) if hidden else {}

        def kind(f, derived=derived):
            return None if f in derived else kinds[f]

        for n, (cells, total) in enumerate(lines):
            if not cells:
                continue
            signature = (kind(total), *(kind(c) for c in cells))
            if checked.get(n) == signature:
                continue
            cell_values = [values[c] for c in cells]
            cell_kinds = [kind(c) for c in cells]
            total_kind = kind(total)
            while not line_is_protected(cell_values, cell_kinds, values[total], total_kind):
                if hidden and PRIMARY not in cell_kinds and total_kind != PRIMARY and all(
                        f in hidden for f, k in zip([*cells, total], [*cell_kinds, total_kind]) if k):
                    break  # the only unknown is a hidden figure: nothing here to protect

                def rank(f):
                    return (cost.get(f, 0), values[f] < THRESHOLD, values[f], str(f))

                # Never a zero: withheld, it would be 0 or at least 10, and among zeros (a
                # reason nobody gave) the line's total pins it back to 0 at once.
                candidates = [i for i, k in enumerate(cell_kinds)
                              if not k and cells[i] not in hidden and cell_values[i]]
                # A hidden figure of this line that a reader works out from another line
                # stops being known when a figure of that line is withheld: often cheaper
                # (a community's 12 months rather than another month of a division).
                elsewhere = [(f, h) for h, k in zip([*cells, total], [*cell_kinds, total_kind])
                             if not k and h in derived
                             for f in [*lines[derived[h]][0], lines[derived[h]][1]]
                             if not kinds[f] and f not in hidden and values[f]]
                best = min(candidates, key=lambda i: rank(cells[i])) if candidates else None
                other = min(elsewhere, key=lambda fh: rank(fh[0])) if elsewhere else None
                if other and (best is None or rank(other[0]) < rank(cells[best])):
                    kinds[other[0]] = SECONDARY  # published nowhere now; the next sweep sees it
                    changed = True
                    f, h = other
                    if h == total:
                        total_kind = SECONDARY
                    else:
                        cell_kinds[cells.index(h)] = SECONDARY
                    continue
                if best is not None:
                    cell_kinds[best] = SECONDARY
                elif not total_kind and total not in hidden:
                    # Withholding the total takes away the line's equation: start again
                    # from the cells as they were, which may now need fewer partners.
                    total_kind = SECONDARY
                    cell_kinds = [kind(c) for c in cells]
                else:
                    break  # everything is withheld; nothing more this line can do
            for c, k in zip(cells, cell_kinds):
                if k and kinds[c] != k:
                    kinds[c] = k
                    changed = True
            if total_kind and kinds[total] != total_kind:
                kinds[total] = total_kind
                changed = True
            checked[n] = (kind(total), *(kind(c) for c in cells))


def _by_figure(lines):
    by_figure = {}
    for n, (cells, total) in enumerate(lines):
        for fid in [*cells, total]:
            by_figure.setdefault(fid, []).append(n)
    return by_figure


BIG = 10**12


def _neg(intervals):
    return [(-hi, -lo) for lo, hi in reversed(intervals)]


def _intersect(a, b):
    out = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1, b1)
            if lo <= hi:
                out.append((lo, hi))
    return _merge(out)


def _plus(a, b):
    return _merge([(x0 + y0, x1 + y1) for x0, x1 in a for y0, y1 in b])


def _size(intervals):
    return sum(hi - lo + 1 for lo, hi in intervals)


def _audit(values, lines, kinds, hidden=frozenset()):
    """Figures an attacker can narrow too far, by propagating every line's bounds."""
    domain = {}
    for fid, kind in kinds.items():
        if fid in hidden:
            domain[fid] = [(0, BIG)]  # never published: the attacker knows only it is a count
        elif kind == PRIMARY:
            domain[fid] = [(1, THRESHOLD - 1)]
        elif kind == SECONDARY:
            domain[fid] = [(0, 0), (THRESHOLD, BIG)]
    live = [(cells, total) for cells, total in lines if any(f in domain for f in [*cells, total])]

    def dom(fid):
        return domain.get(fid) or [(values[fid], values[fid])]

    for _ in range(50):
        changed = False
        for cells, total in live:
            parts = [dom(c) for c in cells]
            # prefix[i] = sum of parts[:i], suffix[i] = sum of parts[i:]
            prefix = [[(0, 0)]]
            for part in parts:
                prefix.append(_plus(prefix[-1], part))
            suffix = [[(0, 0)]]
            for part in reversed(parts):
                suffix.append(_plus(suffix[-1], part))
            suffix.reverse()
            if total in domain:
                narrowed = _intersect(domain[total], prefix[-1])
                if narrowed != domain[total]:
                    domain[total], changed = narrowed, True
            for i, c in enumerate(cells):
                if c not in domain:
                    continue
                rest = _plus(prefix[i], suffix[i + 1])
                narrowed = _intersect(domain[c], _plus(dom(total), _neg(rest)))
                if narrowed != domain[c]:
                    domain[c], changed = narrowed, True
        if not changed:
            break
    weak = []
    for fid, d in domain.items():
        if (kinds[fid] == PRIMARY and _size(d) < MIN_POSSIBLE) or _size(d) < 2:
            weak.append(fid)
    return weak


def _strengthen(values, lines, kinds, weak, by_figure, hidden=frozenset(), cost=None):
    """Withhold one more figure next to each weak one; False when there is none left."""
    cost = cost or {}
    did = False

    def rank(c):
        # A zero only when nothing else is left: withheld, it is pinned back by a total at once.
        return (values[c] == 0, cost.get(c, 0), values[c] < THRESHOLD, values[c])

    for fid in weak:
        best = None
        near = list(by_figure.get(fid, []))
        for n in list(near):  # the lines joined to these by a hidden figure
            for f in [*lines[n][0], lines[n][1]]:
                if f in hidden:
                    near += by_figure.get(f, [])
        for n in near:
            cells, total = lines[n]
            for c in [*cells, total]:
                if not kinds[c] and (best is None or rank(c) < rank(best)):
                    best = c
        if best is not None:
            kinds[best] = SECONDARY
            did = True
    return did



def suppress_lines(lines: list[list[int]], total: int) -> list[Line]:
    """Several partitions of the same total (rule 4): the total is shown in all or none."""
    values = {"total": int(total)}
    spec = []
    for n, line in enumerate(lines):
        ids = [(n, i) for i in range(len(line))]
        values.update({fid: int(v or 0) for fid, v in zip(ids, line)})
        spec.append((ids, "total"))
    shown = protect_figures(values, spec)
    out = []
    for ids, _ in spec:
        cells = [shown[i] for i in ids]
        kinds = [c if isinstance(c, str) else None for c in cells]
        out.append(Line(cells, shown["total"], kinds))
    return out


def suppress_line(values, total=None) -> Line:
    """Suppress one line of counts and its total (the sum of the cells when not given)."""
    values = [int(v or 0) for v in values]
    return suppress_lines([values], sum(values) if total is None else int(total))[0]


def _show(value, kind):
    return kind if kind else value


def chart_value(display):
    """What a chart may plot: the number when published, nothing (a gap) when suppressed."""
    return display if isinstance(display, (int, float)) else None


# --- a report's cube: areas (division, PCNs, communities) by categories --------------------------------------------------------------

def tree(data):
    """{node: [child nodes]} and the display name of each node."""
    children = {"d": []}
    names = {"d": "Whole division"}
    for pid, name in sorted(data["pcns"].items(), key=lambda kv: kv[1]):
        children["d"].append(f"p:{pid}")
        children[f"p:{pid}"] = []
        names[f"p:{pid}"] = name
    for cid, c in sorted(data["communities"].items(), key=lambda kv: kv[1]["name"]):
        node = f"c:{cid}"
        names[node] = c["name"]
        parent = f"p:{c['pcn']}" if c["pcn"] and f"p:{c['pcn']}" in children else "d"
        children[parent].append(node)
    return children, names


def _leaves(children, node):
    if node.startswith("c:"):
        return [node]
    return [leaf for child in children[node] for leaf in _leaves(children, child)]


def cube_values(data, leaf_values, categories):
    """{(node, category): count} summed up the tree from community values, unsuppressed.

    Published as they are only for figures that count no one (providers, places);
    counts of people go through protect_cube.
    """
    children, _ = tree(data)
    values = {}
    for node in children.keys() | {f"c:{cid}" for cid in data["communities"]}:
        leaves = _leaves(children, node)
        for cat in categories:
            values[(node, cat)] = sum(int(leaf_values.get(leaf[2:], {}).get(cat, 0)) for leaf in leaves)
    return values


def protect_cube(data, leaf_values, categories, category_lines):
    """Suppressed display of a node × category cube built up from community values.

    `leaf_values[community id][category]` are counts; `category_lines` are
    (cells, total) lines among categories that hold within every node.
    Returns {(node, category): display}.
    """
    children, _ = tree(data)
    values = cube_values(data, leaf_values, categories)
    lines = []
    for node, kids in children.items():
        if kids:
            for cat in categories:
                lines.append(([(kid, cat) for kid in kids], (node, cat)))
    for node in {n for n, _ in values}:
        for cells, total in category_lines:
            lines.append(([(node, c) for c in cells], (node, total)))
    return protect_figures(values, lines)
