"""Small-cell suppression: primary, secondary, and an attacker who tries to undo it."""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from reports import suppression as sup
from reports.selectors import protect_cube


def test_primary_counts_from_1_to_9_show_as_less_than_10():
    assert [sup.cell(n) for n in (0, 1, 5, 9, 10, 250)] == [0, "<10", "<10", "<10", 10, 250]


def test_a_line_without_small_cells_is_published_whole():
    line = sup.suppress_line([10, 25, 0, 40])
    assert line.cells == [10, 25, 0, 40] and line.total == 75


def test_one_small_cell_gets_a_complementary_cell_and_the_total_stays():
    line = sup.suppress_line([3, 40, 12, 100, 55])
    assert line.cells[0] == "<10"
    assert line.total == 210
    # The smallest cell of 10 or more is withheld with it (12 is too small to hide a 3:
    # 3 + 12 = 15 would leave the "<10" cell at most 5), so 40 goes too.
    assert line.cells.count("x") >= 1
    assert sum(isinstance(c, str) for c in line.cells) >= 2
    assert attacker_values(line, [3, 40, 12, 100, 55])[0] == set(range(1, 10))


def test_a_line_that_cannot_be_protected_withholds_its_total():
    line = sup.suppress_line([4, 0])
    assert line.cells == ["<10", 0]
    assert line.total == "<10"  # a total of 4 is itself small
    line = sup.suppress_line([4, 11])
    assert line.total == "x" and line.cells == ["<10", 11]


def test_percentiles_of_fewer_than_10_people_are_withheld():
    assert sup.percentile_display(9, 120.0) is None
    assert sup.percentile_display(10, 120.0) == 120.0


def attacker_values(line, true_values):
    """Brute force: every value of each suppressed cell consistent with what is published.

    The attacker knows the rule: "<10" holds 1..9, "x" holds 0 or 10..total; a shown
    total is the sum of the cells. Returns {cell index: set of possible values}.
    """
    total = line.total if isinstance(line.total, int) else None
    hidden = [i for i, c in enumerate(line.cells) if isinstance(c, str)]
    shown_sum = sum(c for c in line.cells if not isinstance(c, str))
    cap = (total if total is not None else sum(true_values)) + 10
    domains = []
    for i in hidden:
        if line.cells[i] == "<10":
            domains.append(range(1, 10))
        else:
            domains.append([0] + list(range(10, cap + 1)))
    possible = {i: set() for i in hidden}
    for combo in itertools.product(*domains):
        if total is not None and shown_sum + sum(combo) != total:
            continue
        for i, v in zip(hidden, combo):
            possible[i].add(v)
    return possible


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 12), st.integers(10, 40)), min_size=1, max_size=4))
def test_no_suppressed_cell_can_be_worked_back_from_the_total(values):
    line = sup.suppress_line(values)
    possible = attacker_values(line, values)
    for i, cell in enumerate(line.cells):
        if cell == "<10":
            # Everything 1..9 stays possible: the total and the differences add nothing.
            assert possible[i] == set(range(1, 10)), (values, line)
        elif cell == "x":
            assert len(possible[i]) > 1, (values, line)
        else:
            assert cell == values[i]


def test_recovery_by_subtraction_fails_on_a_real_looking_table():
    weeks = [14, 3, 22, 0, 31, 18]
    line = sup.suppress_line(weeks)
    assert line.cells[1] == "<10" and isinstance(line.total, int)
    # The obvious attack: total minus every shown week.
    leftover = line.total - sum(c for c in line.cells if isinstance(c, int))
    assert leftover != 3, "the total minus the shown cells must not equal the small cell"
    assert attacker_values(line, weeks)[1] == set(range(1, 10))


def test_a_shared_total_is_withheld_everywhere_when_one_partition_cannot_be_protected():
    # Weeks (one small, no partner) and communities (all large) add up to the same 15.
    by_week, by_community = sup.suppress_lines([[5, 10], [15]], 15)
    assert by_week.total == "x" and by_community.total == "x"


def test_the_tree_of_areas_is_protected_in_every_direction():
    """PCN = sum of communities; division = sum of PCNs. A small community stays hidden
    whichever of the division, the PCN or the neighbours the attacker subtracts."""
    data = {
        "communities": {"1": {"name": "A", "pcn": 7}, "2": {"name": "B", "pcn": 7}, "3": {"name": "C", "pcn": None}},
        "pcns": {"7": "North PCN"},
    }
    leaf = {"1": {"n": 4}, "2": {"n": 30}, "3": {"n": 25}}
    shown = protect_cube(data, leaf, ["n"], [])
    assert shown[("c:1", "n")] == "<10"
    pcn, b, c, division = shown[("p:7", "n")], shown[("c:2", "n")], shown[("c:3", "n")], shown[("d", "n")]
    # Attack 1: PCN minus community B.
    assert not (isinstance(pcn, int) and isinstance(b, int)), "PCN and B both shown: A = PCN - B"
    # Attack 2: division minus C minus B.
    assert not (isinstance(division, int) and isinstance(b, int) and isinstance(c, int)), "A = division - B - C"
    # Attack 3: division minus C gives the PCN: it must then be withheld or B must be.
    assert not (isinstance(division, int) and isinstance(c, int) and isinstance(b, int)), "A = (division - C) - B"
