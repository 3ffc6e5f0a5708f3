"""The Fellegi-Sunter model: how likely each level is for a true pair (m) and for a random
pair (u), and the score of a pair from its levels.

- u is counted on pairs drawn at random (seeded): almost all random pairs are two people.
- m comes from expectation maximisation over the blocked pairs, but never over the
  fields a pair was blocked on: among pairs that share a birth date, "same birth date"
  says nothing about who is who. So m of the names and the home is learned on pairs
  blocked by birth date, and m of the birth date on pairs that share a phone (as Splink
  trains, one blocking rule at a time).
- Names carry their frequency: two Singhs agreeing is weaker evidence than two
  Zwolinskis (u of an exact name is the share of the registry with that name).
Both m and u start from priors (pseudo-pairs, `prior_strength` of them), so that a tiny
input (a worked example of five rows) gives sensible weights and a large one its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from linkage.engine import compare as c

# Priors per field, level 1.. (level 0, missing, is no evidence and has weight 0).
M_PRIOR = {
    "fn": [0.84, 0.04, 0.06, 0.01, 0.02, 0.03],
    "ln": [0.92, 0.04, 0.02, 0.02],
    "dob": [0.93, 0.02, 0.04, 0.01],
    "home": [0.45, 0.10, 0.10, 0.05, 0.15, 0.15],
    "email": [0.85, 0.15],
    "gender": [0.98, 0.02],
}
U_PRIOR = {
    "fn": [0.01, 0.002, 0.004, 0.002, 0.05, 0.932],
    "ln": [0.005, 0.003, 0.04, 0.952],
    "dob": [0.00003, 0.00002, 0.0006, 0.99935],
    "home": [0.00001, 0.00001, 0.0001, 0.002, 0.02, 0.97788],
    "email": [0.00001, 0.99999],
    "gender": [0.5, 0.5],
}
FIELDS = tuple(M_PRIOR)


@dataclass
class Model:
    m: dict[str, np.ndarray]  # field -> probabilities of levels 1.. for true pairs
    u: dict[str, np.ndarray]  # ... and for random pairs
    prior_bits: float  # log2 odds that a blocked pair is a match, before its evidence
    fn_freq: dict[str, float] = field(default_factory=dict)  # name -> u of an exact agreement
    ln_freq: dict[str, float] = field(default_factory=dict)
    phn_bits: float = 20.0  # weight of an agreeing PHN

    def bits(self, name: str) -> np.ndarray:
        """Weights by level (index 0 = missing = 0 bits)."""
        return np.concatenate([[0.0], np.log2(self.m[name] / self.u[name])])

    def to_json(self) -> dict:
        return {"m": {k: v.round(6).tolist() for k, v in self.m.items()},
                "u": {k: v.round(8).tolist() for k, v in self.u.items()},
                "prior_bits": round(self.prior_bits, 3)}


def _counts(frame: pl.DataFrame, name: str) -> np.ndarray:
    n = len(M_PRIOR[name])
    got = frame.group_by(name).len()
    out = np.zeros(n + 1)
    for level, count in got.iter_rows():
        out[int(level)] = count
    return out[1:]


def _smooth(counts: np.ndarray, prior: list[float], strength: float) -> np.ndarray:
    p = (counts + strength * np.asarray(prior)) / (counts.sum() + strength)
    return np.clip(p, 1e-9, None) / np.clip(p, 1e-9, None).sum()


def estimate_u(sample: pl.DataFrame, strength: float) -> dict[str, np.ndarray]:
    """u from the levels of random pairs."""
    return {name: _smooth(_counts(sample, name), U_PRIOR[name], strength) for name in FIELDS}


def em(pairs: pl.DataFrame, fields: tuple[str, ...], u: dict[str, np.ndarray], *,
       iterations: int, strength: float) -> tuple[dict[str, np.ndarray], float]:
    """m of `fields` and the share of matches among `pairs`, by EM with u held fixed."""
    m = {f: np.asarray(M_PRIOR[f], dtype=float) for f in fields}
    if pairs.height == 0:
        return m, 0.5
    # Sorted: floating-point sums in one order, so the same files give the same weights.
    patterns = pairs.group_by(list(fields)).len().sort(list(fields))
    levels = {f: patterns[f].to_numpy().astype(np.int64) for f in fields}
    counts = patterns["len"].to_numpy().astype(float)
    share = 0.5
    for _ in range(iterations):
        log_m = np.zeros(len(counts))
        log_u = np.zeros(len(counts))
        for f in fields:
            lm = np.concatenate([[0.0], np.log(m[f])])
            lu = np.concatenate([[0.0], np.log(u[f])])
            log_m += lm[levels[f]]
            log_u += lu[levels[f]]
        odds = np.log(share / (1 - share)) + log_m - log_u
        p = 1.0 / (1.0 + np.exp(-np.clip(odds, -700, 700)))
        weight = counts * p
        for f in fields:
            per_level = np.bincount(levels[f], weights=weight, minlength=len(M_PRIOR[f]) + 1)[1:]
            m[f] = _smooth(per_level, M_PRIOR[f], strength)
        share = float(np.clip(weight.sum() / counts.sum(), 1e-6, 1 - 1e-6))
    return m, share


def frequencies(column: pl.Series, prior: float, strength: float) -> dict[str, float]:
    """u of an exact agreement on each value: its share of the registry, held towards the
    field's average agreement for a small registry."""
    n = len(column)
    counts = column.filter(column != "").value_counts()
    names, numbers = counts[column.name].to_list(), counts["count"].to_numpy()
    values = (numbers + strength * prior) / (n + strength)
    return dict(zip(names, values.tolist()))


def train(pairs: pl.DataFrame, by_birth: pl.DataFrame, sample: pl.DataFrame, registry: pl.DataFrame,
          *, all_pairs: int, birth_scale: float, iterations: int, strength: float) -> Model:
    """`pairs`: the blocked pairs' levels; `by_birth`: pairs blocked on the birth date
    alone, for a sample of the rows, `birth_scale` times fewer than for all of them;
    `sample`: random pairs; `all_pairs`: how many pairs there are before blocking."""
    u = estimate_u(sample, strength)
    # The birth date's m is learned on pairs that share a phone number: a household and
    # its people, where names and birth dates together tell one person from another (on
    # pairs that share a name, EM would take a parent and child at one home for a match).
    by_phone = pairs.filter(pl.col("phone") == c.AGREE)
    m_a, share_a = em(by_birth, ("fn", "ln", "home", "email", "gender"), u,
                      iterations=iterations, strength=strength)
    # Nor the last name there: a household shares it, which random pairs (u) do not.
    m_b, _ = em(by_phone, ("fn", "dob", "email", "gender"), u, iterations=iterations,
                strength=strength)
    m = dict(m_a) | {"dob": m_b["dob"]}
    # The prior is the chance that two records drawn at random are one person, not the
    # share of matches among the blocked pairs: u was counted on random pairs, so the
    # evidence that blocking selected for (a shared birth date) is in the weights already.
    # Matches: those found by birth date, over the share of true pairs whose birth dates
    # agree (in either order).
    matches = share_a * by_birth.height * birth_scale / max(m["dob"][0] + m["dob"][1], 1e-3)
    share = float(np.clip(max(matches, 1.0) / max(all_pairs, 1), 1e-12, 0.5))
    n = max(registry.height, 1)
    return Model(
        m=m, u=u, prior_bits=float(np.log2(share / (1 - share))),
        fn_freq=frequencies(registry["fn"], u["fn"][0], strength),
        ln_freq=frequencies(registry["ln"], u["ln"][0], strength),
        phn_bits=float(np.log2(0.99 * n)),
    )


def score(pairs: pl.DataFrame, model: Model) -> pl.DataFrame:
    """`pairs` with `bits` (the match weight) and `score` (the probability)."""
    total = np.full(pairs.height, model.prior_bits)
    for name in FIELDS:
        total += model.bits(name)[pairs[name].to_numpy().astype(np.int64)]
    # An exact name counts by its own frequency instead of the field's average.
    for name, freq in (("fn", model.fn_freq), ("ln", model.ln_freq)):
        exact = pairs[name].to_numpy() == 1
        if exact.any():
            u_value = pairs[f"{name}_r"].replace_strict(freq, default=float(model.u[name][0]),
                                                        return_dtype=pl.Float64).to_numpy()
            adjusted = np.log2(model.m[name][0] / u_value)
            total = np.where(exact, total - model.bits(name)[1] + adjusted, total)
    total += np.where(pairs["phn_same"].to_numpy(), model.phn_bits, 0.0)
    probability = 1.0 / (1.0 + np.exp2(-np.clip(total, -1000, 1000)))
    return pairs.with_columns(pl.Series("bits", total), pl.Series("score", probability))
