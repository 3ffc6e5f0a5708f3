"""Blocking: which pairs are compared at all, so the engine never compares everyone with
everyone (50,000 × 300,000 is fifteen billion pairs; these rules make about six per row).

A pair is a candidate when it agrees on any one of the keys below. Each key lets through
a kind of noise that the others would miss, and none is a crowd:
- date of birth (day and month in either order) with the last name's initial: typos
  and nicknames in the first name, swapped day and month;
- date of birth (either order) with the first name's initial: typos in the last name;
- last name, first name and decade of birth: a birth date one digit off (a slip in the
  decade is not a typo the engine merges on: see compare.py);
- last name with year and month, or with year and day, of birth: a first-name typo or
  nickname together with a birth date one digit off;
- phone, email, postal code with first initial: a wrong date and a changed name, at home.
A key that a crowd shares (more than `max_block` people on one side) is skipped for
that rule: it is evidence of nothing and would swamp the comparisons.
"""

from __future__ import annotations

import polars as pl

RULES: tuple[tuple[str, ...], ...] = (
    ("dob_any", "li"),
    ("dob_any", "fi"),
    ("ln", "fn", "decade"),
    ("ln", "year_month"),
    ("ln", "year_day"),
    ("phone",),
    ("email",),
    ("postal", "fi"),
)
# The rule whose pairs train m of the names and the home (model.py): the birth date alone.
TRAINING_RULE = ("dob_any",)


def _usable(frame: pl.DataFrame, keys: tuple[str, ...]) -> pl.DataFrame:
    condition = pl.lit(True)
    for key in keys:
        dtype = frame.schema[key]
        condition = condition & ((pl.col(key) != "") if dtype == pl.String else (pl.col(key) > 0))
    return frame.filter(condition).select("idx", *keys)


def candidate_pairs(left: pl.DataFrame, right: pl.DataFrame, *, max_block: int,
                    same: bool = False, rules=RULES) -> pl.DataFrame:
    """Distinct (l, r) row numbers of `left` and `right` to compare. With `same` (a frame
    against itself) each pair once, l < r."""
    found = []
    for keys in rules:
        lk = _usable(left, keys)
        rk = _usable(right, keys)
        crowded = (rk.group_by(keys).len().filter(pl.col("len") > max_block).select(keys))
        if crowded.height:
            rk = rk.join(crowded, on=list(keys), how="anti")
        pairs = lk.join(rk, on=list(keys), how="inner", suffix="_r").select(
            pl.col("idx").alias("l"), pl.col("idx_r").alias("r"))
        if same:
            pairs = pairs.filter(pl.col("l") < pl.col("r"))
        found.append(pairs)
    return pl.concat(found).unique(maintain_order=False).sort("l", "r")
