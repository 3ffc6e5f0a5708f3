"""Comparison levels: how each pair agrees, field by field, as small integers.

Level 0 is always "missing on one side" (no evidence either way). The levels are what
the model weighs; `evidence.py` turns them back into words.

The home is one comparison, not three: postal code, phone and community are shared by
everyone in a household, so as three independent fields they would add up to strong
evidence that a person is their own twin. As one field, the model learns how much
"same home" is worth once.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

# Levels, per field (0 = missing everywhere).
FN_EXACT, FN_NICK, FN_CLOSE, FN_INITIAL, FN_SIMILAR, FN_DIFF = 1, 2, 3, 4, 5, 6
LN_EXACT, LN_CLOSE, LN_SIMILAR, LN_DIFF = 1, 2, 3, 4
DOB_EXACT, DOB_SWAP, DOB_DIGIT, DOB_DIFF = 1, 2, 3, 4
HOME_BOTH, HOME_PHONE, HOME_POSTAL, HOME_AREA, HOME_COMMUNITY, HOME_NONE = 1, 2, 3, 4, 5, 6
AGREE, DIFFER = 1, 2  # email, gender

FIELDS = {"fn": 7, "ln": 5, "dob": 5, "home": 7, "email": 3, "gender": 3}  # field: levels
# First names that agree for the domain rule "first names must agree or be nicknames".
FN_AGREEING = (FN_EXACT, FN_NICK, FN_CLOSE)
# Birth dates that agree for a merge: the same, or one of the two slips people make.
DOB_AGREEING = (DOB_EXACT, DOB_SWAP, DOB_DIGIT)

_SIDE_COLUMNS = ("key", "fn", "ln", "fn_raw", "ln_raw", "dob", "phn", "gender", "postal", "fsa",
                 "phone", "email", "community", "nick1", "nick2", "household")


def gather(pairs: pl.DataFrame, left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """The pairs with both sides' columns side by side (suffix _l, _r)."""
    cols = list(_SIDE_COLUMNS)
    lf = left.select("idx", *cols).rename({c: f"{c}_l" for c in cols} | {"idx": "l"})
    rf = right.select("idx", *cols).rename({c: f"{c}_r" for c in cols} | {"idx": "r"})
    return pairs.join(lf, on="l", how="left").join(rf, on="r", how="left")


def _similarity(a: list[str], b: list[str]) -> np.ndarray:
    if len(a) == 0:
        return np.zeros(0, dtype=np.float32)
    return process.cpdist(a, b, scorer=JaroWinkler.normalized_similarity, workers=-1,
                          dtype=np.float32)


def _edits(a: list[str], b: list[str]) -> np.ndarray:
    """Letters inserted, deleted, changed or swapped with a neighbour (one typo = 1)."""
    if len(a) == 0:
        return np.zeros(0, dtype=np.int32)
    return process.cpdist(a, b, scorer=OSA.distance, workers=-1, dtype=np.int32)


def _one_slip(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True where YYYYMMDD differ in exactly one digit, and that digit is the year's last,
    the month's or the day's. A slip in the decade or the century (1977 / 1947) is ten
    years or more: the mark of a parent and child of one name at one home, not of a typo."""
    off = np.zeros(len(a), dtype=np.int8)
    early = np.zeros(len(a), dtype=bool)
    x, y = a.astype(np.int64), b.astype(np.int64)
    for position in range(8):  # from the last digit of the day to the first of the year
        differs = x % 10 != y % 10
        off += differs
        if position >= 5:  # the year's decade, century, millennium
            early |= differs
        x //= 10
        y //= 10
    return (off == 1) & ~early


def levels(sides: pl.DataFrame, *, close: float, similar: float) -> pl.DataFrame:
    """`sides` (from `gather`) with a level column per field and the PHN's agreement."""
    fn_l_list, fn_r_list = sides["fn_l"].to_list(), sides["fn_r"].to_list()
    fn_sim = _similarity(fn_l_list, fn_r_list)
    fn_edits = _edits(fn_l_list, fn_r_list)
    ln_sim = _similarity(sides["ln_l"].to_list(), sides["ln_r"].to_list())
    slip = _one_slip(sides["dob_l"].to_numpy(), sides["dob_r"].to_numpy())
    s = sides.with_columns(pl.Series("fn_sim", fn_sim), pl.Series("fn_edits", fn_edits),
                           pl.Series("ln_sim", ln_sim),
                           pl.Series("dob_slip", slip))
    fn_l, fn_r, ln_l, ln_r = pl.col("fn_l"), pl.col("fn_r"), pl.col("ln_l"), pl.col("ln_r")
    nick = ((pl.col("nick1_l") >= 0) & ((pl.col("nick1_l") == pl.col("nick1_r"))
            | (pl.col("nick1_l") == pl.col("nick2_r")) | (pl.col("nick2_l") == pl.col("nick1_r"))
            | (pl.col("nick2_l") == pl.col("nick2_r"))))
    initial = (((fn_l.str.len_chars() == 1) | (fn_r.str.len_chars() == 1))
               & (fn_l.str.slice(0, 1) == fn_r.str.slice(0, 1)))
    # One typo in a name of four letters or more (KRVIN / KEVIN, IMNG / MING) is close
    # whatever Jaro-Winkler says of it; in shorter names one letter is most of the name.
    one_typo = ((pl.col("fn_edits") == 1)
                & (pl.min_horizontal(fn_l.str.len_chars(), fn_r.str.len_chars()) >= 4))
    fn = (pl.when((fn_l == "") | (fn_r == "")).then(0)
          .when(fn_l == fn_r).then(FN_EXACT)
          .when(nick).then(FN_NICK)
          .when(initial).then(FN_INITIAL)
          .when((pl.col("fn_sim") >= close) | one_typo).then(FN_CLOSE)
          .when(pl.col("fn_sim") >= similar).then(FN_SIMILAR)
          .otherwise(FN_DIFF))
    # A double surname against one of its halves (SINGHGILL / GILL) is similar, not different.
    contains = (((ln_l.str.len_chars() >= 3) & ln_r.str.contains(ln_l, literal=True))
                | ((ln_r.str.len_chars() >= 3) & ln_l.str.contains(ln_r, literal=True)))
    ln = (pl.when((ln_l == "") | (ln_r == "")).then(0)
          .when(ln_l == ln_r).then(LN_EXACT)
          .when(pl.col("ln_sim") >= close).then(LN_CLOSE)
          .when((pl.col("ln_sim") >= similar) | contains).then(LN_SIMILAR)
          .otherwise(LN_DIFF))
    dl, dr = pl.col("dob_l"), pl.col("dob_r")
    swapped = ((dl // 10_000 == dr // 10_000) & ((dl // 100) % 100 == dr % 100)
               & (dl % 100 == (dr // 100) % 100))
    dob = (pl.when((dl == 0) | (dr == 0)).then(0)
           .when(dl == dr).then(DOB_EXACT)
           .when(swapped).then(DOB_SWAP)
           .when(pl.col("dob_slip")).then(DOB_DIGIT)
           .otherwise(DOB_DIFF))
    both = lambda c: (pl.col(f"{c}_l") != "") & (pl.col(f"{c}_r") != "")  # noqa: E731
    same = lambda c: both(c) & (pl.col(f"{c}_l") == pl.col(f"{c}_r"))  # noqa: E731
    home = (pl.when(same("phone") & same("postal")).then(HOME_BOTH)
            .when(same("phone")).then(HOME_PHONE)
            .when(same("postal")).then(HOME_POSTAL)
            .when(same("fsa")).then(HOME_AREA)
            .when(same("community")).then(HOME_COMMUNITY)
            .otherwise(HOME_NONE))
    two_way = lambda c: (pl.when(~both(c)).then(0).when(same(c)).then(AGREE)  # noqa: E731
                         .otherwise(DIFFER))
    return s.with_columns(
        fn.cast(pl.Int8).alias("fn"), ln.cast(pl.Int8).alias("ln"), dob.cast(pl.Int8).alias("dob"),
        home.cast(pl.Int8).alias("home"), two_way("email").cast(pl.Int8).alias("email"),
        two_way("gender").cast(pl.Int8).alias("gender"),
        # For the words only: each part of the home on its own.
        two_way("postal").cast(pl.Int8).alias("postal"), two_way("phone").cast(pl.Int8).alias("phone"),
        two_way("community").cast(pl.Int8).alias("community"),
        same("phn").alias("phn_same"),
        (both("phn") & ~same("phn")).alias("phn_conflict"),
    )
