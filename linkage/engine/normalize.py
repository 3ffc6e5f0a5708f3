"""One normal form for both sides, so comparisons compare people, not spellings.

Names: accents dropped, upper-case, letters only (O'Brien and OBRIEN are one). Dates of
birth: an integer YYYYMMDD. PHN, phone: digits only (the phone's last ten, so +1 and
the area code written or not agree). Postal code: upper-case without the space, and
its first three characters (the forward sortation area: the neighbourhood). Email:
lower-case. Community: case-folded. Missing is the empty string everywhere, never null,
so "both present and different" is one expression.
"""

from __future__ import annotations

import polars as pl

from linkage.engine.nicknames import GROUPS

REGISTRY_COLUMNS = ("person_id", "last_name", "first_name", "date_of_birth", "phn", "gender",
                    "postal_code", "phone", "email", "community")
LOCAL_COLUMNS = ("list_id", "household", "last_name", "first_name", "date_of_birth", "phn",
                 "gender", "postal_code", "phone", "email", "community")

_NICK1 = {name: groups[0] for name, groups in GROUPS.items()}
_NICK2 = {name: groups[-1] for name, groups in GROUPS.items()}


def _text(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.String).fill_null("").str.strip_chars()


def _letters(name: str) -> pl.Expr:
    return (_text(name).str.normalize("NFKD").str.to_uppercase()
            .str.replace_all(r"[^A-Z]", ""))


def _dob(frame: pl.DataFrame) -> pl.Expr:
    dtype = frame.schema["date_of_birth"]
    if dtype == pl.Date:
        date = pl.col("date_of_birth")
    elif dtype == pl.Datetime:
        date = pl.col("date_of_birth").dt.date()
    else:
        date = _text("date_of_birth").str.to_date("%Y-%m-%d", strict=False)
    return (date.dt.year().cast(pl.Int32) * 10_000 + date.dt.month().cast(pl.Int32) * 100
            + date.dt.day().cast(pl.Int32)).fill_null(0)


def normalise(frame: pl.DataFrame, id_column: str) -> pl.DataFrame:
    """The comparison form of `frame` (registry or local rows), in the same order, with
    `idx` its row number and `key` its id (person_id or list_id)."""
    missing = [c for c in ("last_name", "first_name", "date_of_birth", "community", id_column)
               if c not in frame.columns]
    if missing:
        raise ValueError(f"missing columns: {', '.join(missing)}")
    for optional in ("phn", "gender", "postal_code", "phone", "email", "household"):
        if optional not in frame.columns:
            frame = frame.with_columns(pl.lit("").alias(optional))
    phone = _text("phone").str.replace_all(r"[^0-9]", "")
    postal = _text("postal_code").str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")
    out = frame.select(
        pl.int_range(pl.len(), dtype=pl.Int32).alias("idx"),
        _text(id_column).alias("key"),
        _text("first_name").alias("fn_raw"),
        _text("last_name").alias("ln_raw"),
        _letters("first_name").alias("fn"),
        _letters("last_name").alias("ln"),
        _dob(frame).alias("dob"),
        _text("phn").str.replace_all(r"[^0-9]", "").alias("phn"),
        _text("gender").str.to_uppercase().alias("gender"),
        postal.alias("postal"),
        postal.str.slice(0, 3).alias("fsa"),
        phone.str.slice(pl.max_horizontal(phone.str.len_chars().cast(pl.Int64) - 10, pl.lit(0)))
        .alias("phone"),
        _text("email").str.to_lowercase().alias("email"),
        _text("community").str.to_lowercase().alias("community"),
        _text("household").alias("household"),
    )
    # A phone number with fewer than seven digits is noise ("n/a", an extension), not a phone.
    out = out.with_columns(
        pl.when(pl.col("phone").str.len_chars() >= 7).then(pl.col("phone")).otherwise(pl.lit(""))
        .alias("phone"),
        pl.col("fn").replace_strict(_NICK1, default=-1, return_dtype=pl.Int32).alias("nick1"),
        pl.col("fn").replace_strict(_NICK2, default=-1, return_dtype=pl.Int32).alias("nick2"),
        pl.col("fn").str.slice(0, 1).alias("fi"),
        # Day and month in either order: the blocking key that finds swapped dates too.
        ((pl.col("dob") // 10_000) * 10_000
         + pl.min_horizontal((pl.col("dob") // 100) % 100, pl.col("dob") % 100) * 100
         + pl.max_horizontal((pl.col("dob") // 100) % 100, pl.col("dob") % 100)).alias("dob_any"),
        (pl.col("dob") // 10_000).alias("year"),
        (pl.col("dob") // 100_000).alias("decade"),
        (pl.col("dob") // 100).alias("year_month"),
        ((pl.col("dob") // 10_000) * 100 + pl.col("dob") % 100).alias("year_day"),
        pl.col("ln").str.slice(0, 1).alias("li"),
    )
    return out
