"""Linking a local list to the registry, and the registry to itself.

The steps: normal forms → blocked pairs (plus every pair sharing a PHN) → comparison
levels → the model trained on these very files (u from random pairs, m by EM) → a
score per pair → the domain rules, which the score alone does not decide:
- an exact valid PHN is a merge whatever else differs; two valid PHNs that differ rule
  a pair out (the local file's PHNs arrive already checked: a bad check digit is blank);
- no merge unless the first names agree, are nicknames of each other or a typo apart
  (twins share everything else, and a score adds up what they share), nor unless the
  birth dates agree, are swapped or one slip apart (`_with_rules` has them all);
- no merge unless the best candidate beats the second by a clear margin;
- the grey band goes to review, with its plausible candidates and the evidence for each;
- later rows of the file that are an earlier row's person are its duplicates.
"""

from __future__ import annotations

import time

import numpy as np
import polars as pl

from linkage.engine import compare as c
from linkage.engine.blocking import TRAINING_RULE, candidate_pairs
from linkage.engine.evidence import words
from linkage.engine.model import Model, score, train
from linkage.engine.normalize import normalise
from linkage.engine.types import Candidate, Decision, DuplicatePair, LinkResult, LinkSettings


def _compared(pairs: pl.DataFrame, left: pl.DataFrame, right: pl.DataFrame,
              settings: LinkSettings) -> pl.DataFrame:
    sides = c.gather(pairs, left, right)
    return c.levels(sides, close=settings.close, similar=settings.similar)


def _random_pairs(left: pl.DataFrame, right: pl.DataFrame, settings: LinkSettings, *,
                  same: bool) -> pl.DataFrame:
    rng = np.random.default_rng(settings.seed)
    n = int(min(settings.u_sample, left.height * right.height))
    if n == 0 or right.height == 0:
        return pl.DataFrame({"l": [], "r": []}, schema={"l": pl.Int32, "r": pl.Int32})
    ls = rng.integers(0, left.height, n, dtype=np.int32)
    rs = rng.integers(0, right.height, n, dtype=np.int32)
    pairs = pl.DataFrame({"l": ls, "r": rs})
    if same:
        pairs = pairs.filter(pl.col("l") != pl.col("r"))
    return pairs


def _phn_pairs(left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    return (left.filter(pl.col("phn") != "").select("idx", "phn")
            .join(right.filter(pl.col("phn") != "").select("idx", "phn"), on="phn", suffix="_r")
            .select(pl.col("idx").alias("l"), pl.col("idx_r").alias("r")))


def _training_pairs(left, right, settings, *, same: bool) -> tuple[pl.DataFrame, float]:
    """Pairs blocked on the birth date alone, for a sample of the left rows (the names'
    and the home's m are learned on them), and how many times more the whole would be."""
    n = min(settings.train_rows, left.height)
    rows = left.sample(n, seed=settings.seed) if n < left.height else left
    pairs = candidate_pairs(rows, right, max_block=settings.max_block, rules=(TRAINING_RULE,))
    if same:  # each row against the others; the whole counts each pair once
        return pairs.filter(pl.col("l") != pl.col("r")), left.height / max(n, 1) / 2
    return pairs, left.height / max(n, 1)


def _fit(left, right, settings, *, same: bool) -> tuple[pl.DataFrame, Model, int]:
    blocked = candidate_pairs(left, right, max_block=settings.max_block, same=same)
    if not same:
        blocked = pl.concat([blocked, _phn_pairs(left, right)]).unique().sort("l", "r")
    compared = _compared(blocked, left, right, settings).filter(~pl.col("phn_conflict"))
    sample = _compared(_random_pairs(left, right, settings, same=same), left, right, settings)
    by_birth, scale = _training_pairs(left, right, settings, same=same)
    by_birth = _compared(by_birth, left, right, settings).filter(~pl.col("phn_conflict"))
    all_pairs = left.height * (left.height - 1) // 2 if same else left.height * right.height
    model = train(compared, by_birth, sample, right, all_pairs=all_pairs, birth_scale=scale,
                  iterations=settings.em_iterations, strength=settings.prior_strength)
    return _with_rules(score(compared, model), settings), model, blocked.height


def _with_rules(scored: pl.DataFrame, settings: LinkSettings) -> pl.DataFrame:
    """The domain rules as columns, one definition for the local list, its duplicates and
    the registry's own:
    - `agrees`: the pair may be merged, the margin over a rival aside: a matching PHN, or
      a score at the merge threshold with first names that agree (the same, nicknames,
      a typo apart), a birth date that agrees (the same, swapped, one slip off: a parent
      and child share a name and a home, not a birth date), a typo'd name whose gender
      does not differ (MARK and MARY), and an inexact birth date confirmed by the home or
      the email (a namesake one digit off agrees on nothing else);
    - `plausible`: worth a coordinator's look: the birth date agrees in some form, or the
      person is at the same home or email. Somebody of the same common name, born another
      year and living elsewhere, is a namesake, not a question."""
    col = pl.col
    corroborated = (col("home").is_in([c.HOME_BOTH, c.HOME_PHONE, c.HOME_POSTAL])
                    | (col("email") == c.AGREE))
    dob_agrees = col("dob").is_in(list(c.DOB_AGREEING))
    agrees = col("phn_same") | (
        (col("score") >= settings.merge_threshold) & col("fn").is_in(list(c.FN_AGREEING)) & dob_agrees
        & ~((col("fn") != c.FN_EXACT) & (col("gender") == c.DIFFER))
        & ((col("dob") == c.DOB_EXACT) | corroborated))
    return scored.with_columns(agrees.alias("agrees"),
                               (col("phn_same") | dob_agrees | corroborated).alias("plausible"))


def _ranked(scored: pl.DataFrame, settings: LinkSettings) -> dict[int, list[dict]]:
    """Per left row, what its decision needs, best first (PHN matches before all): the
    best candidate alone when it merges, else the plausible ones among the top few."""
    keep = scored.filter((pl.col("score") >= settings.candidate_floor) | pl.col("phn_same"))
    keep = keep.sort(["l", "phn_same", "bits", "r"], descending=[False, True, True, False])
    keep = keep.with_columns(pl.int_range(pl.len()).over("l").alias("rank"),
                             pl.col("bits").shift(-1).over("l").alias("rival_bits")).filter(
        pl.col("rank") <= settings.max_candidates)
    margin = pl.col("rival_bits").is_null() | (pl.col("bits") - pl.col("rival_bits") >= settings.margin_bits)
    keep = keep.with_columns(((pl.col("rank") == 0) & (pl.col("phn_same") | (pl.col("agrees") & margin)))
                             .alias("merges"))
    merging = pl.col("merges").any().over("l")
    needed = keep.filter(pl.col("merges") | (~merging & pl.col("plausible")))
    out: dict[int, list[dict]] = {}
    for row in needed.iter_rows(named=True):
        out.setdefault(row["l"], []).append(row)
    return out


def _candidate(row: dict) -> Candidate:
    return Candidate(person=row["key_r"], score=round(float(row["score"]), 4), evidence=words(row))


def _decide(list_id: str, ranked: list[dict], settings: LinkSettings) -> Decision:
    """`ranked` from `_ranked`: the merging candidate, or the plausible ones."""
    if ranked and ranked[0]["merges"]:
        best = ranked[0]
        return Decision(list_id, "merge", person=best["key_r"], score=round(float(best["score"]), 4),
                        evidence=words(best))
    shown = ranked[:settings.max_candidates]
    if shown and shown[0]["score"] >= settings.review_threshold:
        return Decision(list_id, "review", candidates=[_candidate(r) for r in shown])
    return Decision(list_id, "new")


class _Roots:
    """Union-find over the local rows, the earliest row of a group its root."""

    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i


def _same_person_edges(local: pl.DataFrame, settings: LinkSettings, model: Model) -> pl.DataFrame:
    """Pairs of rows of the local file that are one person, by the same model and rules."""
    pairs = candidate_pairs(local, local, max_block=settings.max_block, same=True)
    scored = score(_compared(pairs, local, local, settings).filter(~pl.col("phn_conflict")), model)
    # Rows of one household are its members: two of them of another gender are two
    # people (twins of one name, Harpreet and Harpreet), whatever their names say.
    same_household = (pl.col("household_l") != "") & (pl.col("household_l") == pl.col("household_r"))
    return _with_rules(scored, settings).filter(
        pl.col("agrees") & ~(same_household & (pl.col("gender") == c.DIFFER)))


def _mark_duplicates(decisions: list[Decision], local: pl.DataFrame, settings: LinkSettings,
                     model: Model, phn_of: dict[str, str]) -> None:
    """Later rows that are an earlier row's person become `duplicate` of the earliest one.
    `phn_of`: the registry's PHN of each person who has one."""
    row_phn = local["phn"].to_list()
    edges: dict[int, list[int]] = {}
    for i, j in _same_person_edges(local, settings, model).select("l", "r").iter_rows():
        edges.setdefault(j, []).append(i)
    merged_rows: dict[str, int] = {}
    for j, d in enumerate(decisions):  # two rows merged with one person are one person
        if d.decision == "merge":
            if d.person in merged_rows:
                edges.setdefault(j, []).append(merged_rows[d.person])
            else:
                merged_rows[d.person] = j
    roots = _Roots(len(decisions))
    for j in sorted(edges):
        mine = decisions[j]
        for i in sorted(set(edges[j])):
            root = roots.find(i)
            theirs = decisions[root]
            if root == j or theirs.decision == "duplicate":
                continue
            if mine.decision == "merge" and theirs.decision == "merge" and mine.person != theirs.person:
                continue  # each is somebody else in the registry: not one person
            if (mine.decision == "merge" and theirs.decision != "merge" and row_phn[root]
                    and row_phn[root] != phn_of.get(mine.person, row_phn[root])):
                continue  # the earlier row's valid PHN is not that person's: not one person
            if mine.decision == "merge" and theirs.decision != "merge":
                decisions[root] = Decision(theirs.list_id, "merge", person=mine.person,
                                           score=mine.score, evidence=mine.evidence
                                           + [f"the same person as row {mine.list_id} of this file"])
            decisions[j] = Decision(mine.list_id, "duplicate", same_as=decisions[root].list_id)
            roots.parent[j] = root
            break


def link(registry: pl.DataFrame, local: pl.DataFrame, *,
         settings: LinkSettings | None = None) -> LinkResult:
    """One decision per local row (merge, review, new, duplicate), in the local file's order."""
    settings = settings or LinkSettings()
    started = time.perf_counter()
    right = normalise(registry, "person_id")
    left = normalise(local, "list_id")
    scored, model, _ = _fit(left, right, settings, same=False)
    ranked = _ranked(scored, settings)
    keys = left["key"].to_list()
    decisions = [_decide(key, ranked.get(i, []), settings) for i, key in enumerate(keys)]
    phn_of = dict(right.filter(pl.col("phn") != "").select("key", "phn").iter_rows())
    _mark_duplicates(decisions, left, settings, model, phn_of)
    figures = {"registry": registry.height, "local": local.height}
    for kind in ("merge", "review", "new", "duplicate"):
        figures[kind] = sum(1 for d in decisions if d.decision == kind)
    figures["seconds"] = round(time.perf_counter() - started, 3)
    return LinkResult(decisions=decisions, figures=figures)


def _other_side(name: str) -> str:
    if name.endswith("_l"):
        return name[:-2] + "_r"
    if name.endswith("_r"):
        return name[:-2] + "_l"
    return name


def dedupe(people: pl.DataFrame, *, settings: LinkSettings | None = None) -> list[DuplicatePair]:
    """Probable duplicate people in the registry itself (each pair once, `a` before `b`)."""
    settings = settings or LinkSettings()
    frame = normalise(people, "person_id")
    scored, _, _ = _fit(frame, frame, settings, same=True)
    likely = scored.filter((pl.col("score") >= settings.review_threshold) & pl.col("plausible"))
    # The margin: each pair against the best other pair either of its two people is in.
    ends = pl.concat([likely.select(pl.col("l").alias("node"), "bits", pl.col("r").alias("other")),
                      likely.select(pl.col("r").alias("node"), "bits", pl.col("l").alias("other"))])
    top = (ends.sort(["node", "bits"], descending=[False, True])
           .with_columns(pl.int_range(pl.len()).over("node").alias("rank"))
           .filter(pl.col("rank") < 2))
    per_node: dict[int, list[tuple[int, float]]] = {}
    for node, bits, other, _rank in top.iter_rows():
        per_node.setdefault(node, []).append((other, bits))
    out = []
    for row in likely.sort("l", "r").iter_rows(named=True):
        rivals = [b for node, partner in ((row["l"], row["r"]), (row["r"], row["l"]))
                  for other, b in per_node.get(node, []) if other != partner]
        clear = not rivals or row["bits"] - max(rivals) >= settings.margin_bits
        decision = "merge" if row["agrees"] and clear else "review"
        if row["key_r"] < row["key_l"]:  # the words read in the pair's order, a / b
            row = {_other_side(k): v for k, v in row.items()}
        out.append(DuplicatePair(a=row["key_l"], b=row["key_r"], score=round(float(row["score"]), 4),
                                 evidence=words(row), decision=decision))
    return out
