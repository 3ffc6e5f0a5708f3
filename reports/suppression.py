"""Small-cell suppression for every figure the reports publish. Pure functions, no Django.

The rule (what a reader of a report, or of its CSV, can rely on):

1. Primary suppression. Every count from 1 to 9 is shown as "<10". Zero is shown as 0
   (an empty cell discloses nobody).

2. Tables are published as *lines*: a list of cells and the total they add up to
   (a column of communities with its division total; the weeks of a period with the
   period total). In a line whose total is published, the suppressed cells must not be
   recoverable from the total and the shown cells by subtraction. An attacker who knows
   this rule knows that a "<10" cell holds 1..9 and that a secondary cell ("x") holds 0
   or at least 10. The line is *protected* when, for every "<10" cell, each of the
   values 1..9 remains consistent with the published total and the other suppressed
   cells: the total and the differences teach nothing beyond "<10". A line never has
   exactly one suppressed cell, of either kind (it would be the total minus the rest).

3. Secondary suppression. While a line is not protected, the smallest not-yet-suppressed
   cell is suppressed too and shown as "x" (cells of 10 or more first: suppressing a
   zero adds no uncertainty). If even suppressing every cell does not protect the line,
   the total is withheld ("x") instead and the line then publishes no equation at all.

4. A total shared by several lines (the period's registrations are both the sum of its
   weeks and the sum of its communities) is published only if every line sharing it can
   be protected with it; otherwise it is withheld from all of them, since publishing it
   in one place would let the other line be worked back.

5. Percentiles (median and 90th-percentile wait) of a group of fewer than 10 people are
   not published, and neither is the group's size.

Guarantee: for every published line, no suppressed cell can be narrowed below 1..9 by
totals and differences (tests/reports/test_suppression.py tries, by brute force).
"""

from __future__ import annotations

from dataclasses import dataclass

THRESHOLD = 10
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


def _covers(intervals, lo, hi):
    return any(a <= lo and hi <= b for a, b in intervals)


def line_is_protected(values, kinds, total) -> bool:
    """Whether every primary cell can still be each of 1..9 given the published total.

    `kinds[i]` is PRIMARY, SECONDARY or None (shown). The suppressed cells sum to
    S = total - shown cells; a primary cell `a` is safe when S - a is a sum the other
    suppressed cells can make, for every a in 1..9.
    """
    suppressed = [i for i, k in enumerate(kinds) if k]
    if not suppressed:
        return True
    if len(suppressed) == 1:
        # A lone suppressed cell is the total minus the rest, whatever its kind; a
        # secondary cell worked back here would unlock the line it protects elsewhere.
        return False
    hidden_sum = total - sum(v for v, k in zip(values, kinds) if not k)
    cap = max(total, THRESHOLD)
    for i in suppressed:
        if kinds[i] != PRIMARY:
            continue
        others = [(0, 0)]
        for j in suppressed:
            if j != i:
                others = _minkowski(others, _domain(kinds[j], cap), cap)
        if not _covers(others, hidden_sum - (THRESHOLD - 1), hidden_sum - 1):
            return False
    return True


@dataclass
class Line:
    cells: list  # display values: int, PRIMARY or SECONDARY
    total: object  # int, PRIMARY or SECONDARY (withheld)
    kinds: list  # per cell: None, PRIMARY or SECONDARY


def protect_figures(values: dict, lines: list) -> dict:
    """Suppress a set of related figures; returns {figure id: display value}.

    `values` maps a figure's id to its count; `lines` lists (cell ids, total id): each
    line's cells add up to its total. A figure may be a cell of one line and the total
    of another (a PCN is a cell of its division's line and the total of its
    communities' line), so the lines are protected together until nothing changes:
    a line whose total is published gets secondary cells until protected (rule 3); if
    it cannot be, its total is suppressed as a secondary figure, which may in turn
    make lines where that figure is a cell need more (rules 3 and 4).
    """
    kinds = {fid: (PRIMARY if is_small(v) else None) for fid, v in values.items()}
    changed = True
    while changed:
        changed = False
        for cells, total in lines:
            if kinds[total] or not cells:
                continue
            cell_values = [values[c] for c in cells]
            cell_kinds = [kinds[c] for c in cells]
            while not line_is_protected(cell_values, cell_kinds, values[total]):
                candidates = [i for i, k in enumerate(cell_kinds) if not k]
                if not candidates:
                    # Withholding the total removes the line's equation: the cells this
                    # attempt withheld are not needed for it after all.
                    kinds[total] = SECONDARY
                    cell_kinds = [kinds[c] for c in cells]
                    break
                big = [i for i in candidates if cell_values[i] >= THRESHOLD]
                pick = min(big or candidates, key=lambda i: (cell_values[i], i))
                cell_kinds[pick] = SECONDARY
            for c, k in zip(cells, cell_kinds):
                if kinds[c] != k:
                    kinds[c] = k
                    changed = True
            if kinds[total]:
                changed = True
    return {fid: _show(values[fid], kinds[fid]) for fid in values}


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
