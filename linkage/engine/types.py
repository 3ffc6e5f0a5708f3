"""What the linkage engine takes and gives: its settings, and its decisions in the shape
of DECISIONS.json (shared/formats/local-waitlist.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

DECISIONS = ("merge", "review", "new", "duplicate")


@dataclass(frozen=True)
class LinkSettings:
    """The engine's knobs. The defaults are the ones the benchmark measured."""

    # A pair whose probability (the Fellegi-Sunter posterior) reaches this may be merged,
    # if the domain rules allow it; one from `review_threshold` up goes to a coordinator.
    merge_threshold: float = 0.99
    review_threshold: float = 0.30
    # A candidate below this is not shown to the coordinator at all.
    candidate_floor: float = 0.05
    max_candidates: int = 5
    # The best candidate must beat the second by this many bits of match weight
    # (log2 of the likelihood ratio) before a merge: otherwise a person decides.
    margin_bits: float = 6.0
    # Training: random pairs drawn for u (seeded: the engine is deterministic), EM rounds for m.
    seed: int = 14
    u_sample: int = 300_000
    # Local rows whose pairs by birth date alone train m of the names and the home.
    train_rows: int = 10_000
    em_iterations: int = 40
    # How strongly the built-in priors of m and u hold against the data: pseudo-pairs.
    # Small inputs (a worked case of five rows) stay near the priors; 50,000 rows decide.
    prior_strength: float = 200.0
    # A blocking key shared by more registry people than this is not used on its own:
    # it would compare a crowd (every "SINGH" born in one year) for little evidence.
    max_block: int = 2_000
    # String similarity (Jaro-Winkler) at or above which two names are "close" (a typo)
    # and "similar".
    close: float = 0.92
    similar: float = 0.80


@dataclass
class Candidate:
    person: str
    score: float
    evidence: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"person": self.person, "score": self.score, "evidence": list(self.evidence)}


@dataclass
class Decision:
    list_id: str
    decision: str
    person: str | None = None
    score: float | None = None
    evidence: list[str] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    same_as: str | None = None

    def __post_init__(self):
        if self.decision not in DECISIONS:
            raise ValueError(f"unknown decision {self.decision!r}")

    def to_json(self) -> dict:
        """Exactly one entry of DECISIONS.json's `decisions`: only the keys its kind has."""
        out: dict = {"list_id": self.list_id, "decision": self.decision}
        if self.decision == "merge":
            out.update(person=self.person, score=self.score, evidence=list(self.evidence))
        elif self.decision == "review":
            out["candidates"] = [c.to_json() for c in self.candidates]
        elif self.decision == "duplicate":
            out["same_as"] = self.same_as
        return out


@dataclass
class LinkResult:
    decisions: list[Decision]
    figures: dict

    def to_json(self) -> dict:
        return {"decisions": [d.to_json() for d in self.decisions], "figures": dict(self.figures)}

    def by_list_id(self) -> dict[str, Decision]:
        return {d.list_id: d for d in self.decisions}


@dataclass
class DuplicatePair:
    """Two registry people who are probably one (the nightly job): `a` < `b` as ids."""

    a: str
    b: str
    score: float
    evidence: list[str]
    decision: str  # "merge" or "review"

    def to_json(self) -> dict:
        return {"a": self.a, "b": self.b, "score": self.score, "evidence": list(self.evidence),
                "decision": self.decision}
