"""The reference the linkage engine was measured against: Splink on DuckDB, set up as its
tutorials do, on the benchmark's own synthetic files, with and without the engine's
domain rules on top of its score.

Not a dependency of Attach (it was measured, then not chosen: ARCHITECTURE.md says why),
so it runs in a virtualenv of its own:

    python -m venv /tmp/splinkenv && /tmp/splinkenv/bin/pip install splink polars rapidfuzz numpy
    PYTHONPATH=. /tmp/splinkenv/bin/python tests/bench/compare_splink.py [--registry N] [--local N]

It prints the benchmark's figures for both variants. In-file duplicates are the rows
Splink links to the same registry person (a link-only model does not compare the local
list with itself).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from linkage.engine.nicknames import are_nicknames  # noqa: E402
from linkage.engine.normalize import normalise  # noqa: E402
from linkage.synth import _check_digit, generate, measure  # noqa: E402


def valid_phn(phn: str) -> bool:
    """The PHN rule of registries/phn.py (which needs Django, not installed here)."""
    return (len(phn) == 10 and phn.isdigit() and phn[0] == "9"
            and _check_digit(phn[1:9]) == int(phn[9]))


def dob_slip(a, b) -> bool:
    """Day and month swapped, or one digit off in the day, month or the year's last digit."""
    if a is None or b is None:
        return False
    if (a.year, a.month, a.day) == (b.year, b.day, b.month):
        return True
    x, y = a.strftime("%Y%m%d"), b.strftime("%Y%m%d")
    off = [i for i in range(8) if x[i] != y[i]]
    return len(off) == 1 and off[0] >= 3


def splink_frame(frame: pl.DataFrame, id_column: str, prefix: str) -> pl.DataFrame:
    n = normalise(frame, id_column)
    n = n.with_columns(pl.col("phn").map_elements(lambda p: p if valid_phn(p) else "",
                                                  return_dtype=pl.String))
    return n.select(
        (pl.lit(prefix) + pl.col("key")).alias("unique_id"), pl.col("key"),
        pl.col("fn").alias("first_name"), pl.col("ln").alias("last_name"),
        pl.col("dob").cast(pl.String).str.to_date("%Y%m%d", strict=False).alias("dob"),
        pl.col("postal").alias("postcode"), "phone", "email", "gender", "community", "phn",
    ).with_columns(pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)
                   for c in ("first_name", "last_name", "postcode", "phone", "email", "gender", "phn"))


def run_splink(registry: pl.DataFrame, local: pl.DataFrame) -> pl.DataFrame:
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    db = DuckDBAPI()
    left = db.register(local.drop("key").to_arrow(), dataset_display_name="local")
    right = db.register(registry.drop("key").to_arrow(), dataset_display_name="registry")
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("phone"),
            cl.EmailComparison("email"),
            cl.ExactMatch("gender"),
            cl.ExactMatch("community"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("dob"), block_on("first_name", "last_name"), block_on("phone"),
            block_on("email"), block_on("postcode", "substr(first_name, 1, 1)"),
        ],
    )
    linker = Linker([left, right], settings, log_level=30)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "last_name", "dob")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=14)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "last_name"))
    predictions = linker.inference.predict(threshold_match_probability=0.05)
    return pl.from_arrow(predictions.as_pyarrow_table())


def decisions_from(pairs: pl.DataFrame, local: pl.DataFrame, registry: pl.DataFrame, *,
                   rules: bool) -> list[dict]:
    """Best candidate per local row: merge at 0.99 or more, review from 0.3, else new;
    with `rules`, the engine's domain rules on top (PHN first and never across two valid
    PHNs; first names agree or are nicknames; a clear margin over the second)."""
    from rapidfuzz.distance import JaroWinkler

    left = pairs.select("unique_id_l", "unique_id_r", "match_probability", "match_weight")
    r_info = {r["unique_id"]: r for r in registry.iter_rows(named=True)}
    by_row: dict[str, list[tuple]] = {}
    for uid_l, uid_r, p, w in left.iter_rows():
        if uid_l.startswith("R"):
            uid_l, uid_r = uid_r, uid_l
        by_row.setdefault(uid_l, []).append((w, p, uid_r))
    phn_index = {r["phn"]: r["unique_id"] for r in r_info.values() if r["phn"]}
    out, merged_to = [], {}
    for row in local.iter_rows(named=True):
        uid = row["unique_id"]
        cands = sorted(by_row.get(uid, []), reverse=True)
        decision = {"list_id": row["key"], "decision": "new"}
        if rules and row["phn"] and row["phn"] in phn_index:
            decision = {"list_id": row["key"], "decision": "merge", "person": r_info[phn_index[row["phn"]]]["key"]}
        else:
            if rules:
                cands = [c for c in cands if not (row["phn"] and r_info[c[2]]["phn"]
                                                  and row["phn"] != r_info[c[2]]["phn"])]
            if cands:
                w, p, best = cands[0]
                person = r_info[best]
                ok = p >= 0.99
                if rules:
                    a, b = row["first_name"] or "", person["first_name"] or ""
                    exact = a == b
                    ok = ok and (exact or are_nicknames(a, b) or JaroWinkler.normalized_similarity(a, b) >= 0.92)
                    ok = ok and (len(cands) == 1 or w - cands[1][0] >= 6)
                    # The engine's other rules: the birth date agrees (or is one slip
                    # off, corroborated by the home), and a name that is not exact needs
                    # the gender not to differ.
                    da, db = row["dob"], person["dob"]
                    same_home = ((row["phone"] and row["phone"] == person["phone"])
                                 or (row["postcode"] and row["postcode"] == person["postcode"]))
                    ok = ok and (da == db or (dob_slip(da, db) and same_home))
                    ok = ok and (exact or not (row["gender"] and person["gender"]
                                               and row["gender"] != person["gender"]))
                if ok:
                    decision = {"list_id": row["key"], "decision": "merge", "person": person["key"]}
                elif p >= 0.3:
                    decision = {"list_id": row["key"], "decision": "review",
                                "candidates": [{"person": r_info[c[2]]["key"]} for c in cands[:5]]}
        if decision["decision"] == "merge":
            if decision["person"] in merged_to:
                decision = {"list_id": row["key"], "decision": "duplicate",
                            "same_as": merged_to[decision["person"]]}
            else:
                merged_to[decision["person"]] = row["key"]
        out.append(decision)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--registry", type=int, default=300_000)
    parser.add_argument("--local", type=int, default=50_000)
    args = parser.parse_args()
    synthetic = generate(args.registry, args.local, seed=14)
    with tempfile.TemporaryDirectory() as tmp:
        synthetic.write(tmp)  # the same files the benchmark makes
        registry = pl.read_csv(Path(tmp) / "REGISTRY.csv", infer_schema=False)
        local = pl.read_csv(Path(tmp) / "LOCAL.csv", infer_schema=False)
    started = time.perf_counter()
    reg, loc = splink_frame(registry, "person_id", "R"), splink_frame(local, "list_id", "L")
    pairs = run_splink(reg, loc)
    seconds = time.perf_counter() - started
    print(f"Splink on DuckDB: {pairs.height:,} scored pairs in {seconds:.1f} s (training and prediction)")
    for rules in (False, True):
        figures = measure(decisions_from(pairs, loc, reg, rules=rules), synthetic.truth)
        print(("with the domain rules" if rules else "as the tutorials set it up"),
              {k: (round(v, 4) if isinstance(v, float) else v) for k, v in figures.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
