"""Blocking: which pairs are compared at all, so the engine never compares everyone with
everyone (50,000 × 300,000 is fifteen billion pairs; these rules make about twenty per row).

A pair is a candidate when it agrees on any one of the keys below. Each key lets one
kind of noise through that the others would miss:
- date of birth with day and month in either order: typos in any name, nicknames,
  swapped day and month, moves;
- last name and first name: a date of birth one digit off;
- last name and year of birth: a first-name typo together with a day one digit off;
- phone, email, postal code with first initial: a wrong date together with a changed name.
A key that a crowd shares (more than `max_block` people on one side) is skipped for
that rule: it is evidence of nothing and would swamp the comparisons.
"""

from __future__ import annotations

import polars as pl

RULES: tuple[tuple[str, ...], ...] = (
    ("dob_any",),
    ("ln", "fn"),
    ("ln", "year"),
    ("phone",),
    ("email",),
    ("postal", "fi"),
)


def _usable(frame: pl.DataFrame, keys: tuple[str, ...]) -> pl.DataFrame:
    condition = pl.lit(True)
    for key in keys:
        dtype = frame.schema[key]
        condition = condition & ((pl.col(key) != "") if dtype == pl.String else (pl.col(key) > 0))
    return frame.filter(condition).select("idx", *keys)


def candidate_pairs(left: pl.DataFrame, right: pl.DataFrame, *, max_block: int,
                    same: bool = False) -> pl.DataFrame:
    """Distinct (l, r) row numbers of `left` and `right` to compare. With `same` (a frame
    against itself) each pair once, l < r."""
    found = []
    for keys in RULES:
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
