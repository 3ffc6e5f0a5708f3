"""Realistic random matching instances, for tests, what-if runs and the benchmark.

``generate_instance`` returns the INSTANCE.json shape (a dict of plain lists), so the
same output can be dumped to a file or turned into engine inputs with
``attachment.matching.fileio.parse_instance``. Same arguments and seed, same instance.

The mix is meant to resemble a BC waitlist: many small households, mostly low priority,
English in most records with the province's common other languages, few gender
preferences, a handful of declined pairs, and far fewer places than people, so that
the fairness rule decides who waits.
"""

from __future__ import annotations

import random
from itertools import accumulate

NEEDS = ["maternity", "mental_health", "substance_use", "chronic_disease", "complex_care",
         "infant", "older_adult", "palliative"]

BC_COMMUNITIES = [
    "Vancouver", "Surrey", "Burnaby", "Richmond", "Abbotsford", "Coquitlam", "Kelowna",
    "Langley", "Saanich", "Delta", "Nanaimo", "Kamloops", "Chilliwack", "Maple Ridge",
    "Prince George", "New Westminster", "Port Coquitlam", "North Vancouver", "Victoria",
    "Vernon", "Penticton", "West Vancouver", "Mission", "Campbell River", "Courtenay",
    "Langford", "White Rock", "Pitt Meadows", "Port Moody", "Cranbrook", "Fort St. John",
    "Salmon Arm", "Squamish", "Colwood", "Port Alberni", "Duncan", "Nelson",
    "Williams Lake", "Terrace", "Dawson Creek", "Prince Rupert", "Quesnel", "Powell River",
    "Parksville", "Qualicum Beach", "Sechelt", "Gibsons", "Whistler", "Revelstoke",
    "Golden", "Kimberley", "Fernie", "Trail", "Castlegar", "Creston", "Smithers",
    "Kitimat", "Merritt", "Hope", "Osoyoos", "Oliver", "Summerland", "Peachland", "Sooke",
    "Comox", "Ladysmith", "Tofino", "Fort Nelson", "Vanderhoof", "Burns Lake",
    "100 Mile House", "Salt Spring Island", "Grand Forks", "Rossland", "Invermere",
    "Lake Country", "West Kelowna", "Sidney",
]

# Other languages commonly spoken in BC, weighted roughly by how many speak them.
OTHER_LANGUAGES = {
    "pa": 20, "yue": 15, "cmn": 15, "tl": 8, "fa": 6, "ko": 5, "hi": 5, "fr": 5, "es": 5,
    "zh": 3, "vi": 3, "ar": 2, "ru": 2, "de": 2, "ja": 2, "ur": 2, "gu": 1, "pl": 1,
    "pt": 1, "it": 1, "asl": 1,
}


class _Pick:
    """Weighted choice with the cumulative weights computed once (300,000 draws)."""

    def __init__(self, rng: random.Random, weights: dict):
        self.rng = rng
        self.values = list(weights)
        self.cum = list(accumulate(weights.values()))

    def __call__(self):
        return self.rng.choices(self.values, cum_weights=self.cum)[0]

    def some(self, k: int) -> list:
        """k distinct values (fewer if there are not that many)."""
        out = []
        k = min(k, len(self.values))
        while len(out) < k:
            value = self()
            if value not in out:
                out.append(value)
        return out


def community_names(k: int) -> list[str]:
    names = BC_COMMUNITIES[:k]
    names += [f"Community {n}" for n in range(len(names) + 1, k + 1)]
    return names


def generate_instance(n_registrations: int, n_providers: int, n_communities: int,
                      seed: int = 0) -> dict:
    """An INSTANCE.json-shaped dict with the given numbers of each."""
    if n_communities < 1:
        raise ValueError("need at least one community")
    rng = random.Random(seed)
    names = community_names(n_communities)
    # Big places first and much bigger than small ones (roughly Zipf).
    community = _Pick(rng, {name: 1.0 / (rank + 1) ** 0.8 for rank, name in enumerate(names)})
    other_language = _Pick(rng, OTHER_LANGUAGES)
    need = _Pick(rng, dict.fromkeys(NEEDS, 1))
    size = _Pick(rng, {1: 45, 2: 30, 3: 12, 4: 9, 5: 4})
    priority = _Pick(rng, {p: 0.55 ** p for p in range(11)})
    n_needs = _Pick(rng, {0: 60, 1: 30, 2: 10})
    n_langs = _Pick(rng, {1: 60, 2: 30, 3: 10})
    preference = _Pick(rng, {None: 80, "F": 14, "M": 5, "X": 1})
    gender = _Pick(rng, {"F": 55, "M": 43, "X": 2})

    providers = []
    serving: dict[str, list[str]] = {name: [] for name in names}
    for n in range(1, n_providers + 1):
        pid = f"P{n:05d}"
        communities = community.some(rng.choice((1, 1, 2, 3)))
        for name in communities:
            serving[name].append(pid)
        languages = ["en"] if rng.random() < 0.95 else []
        languages += [lang for lang in other_language.some(n_langs()) if lang != "en"]
        providers.append({
            "id": pid,
            "communities": communities,
            "capacity": 0 if rng.random() < 0.1 else rng.randint(1, 50),
            "languages": languages[:3] or ["en"],
            "gender": gender(),
            "declines_needs": need.some(rng.choice((0, 0, 0, 1, 1, 2))),
        })

    registrations = []
    for n in range(1, n_registrations + 1):
        home = community()
        if rng.random() < 0.75:
            languages = ["en"] + other_language.some(n_langs() - 1)
        else:
            languages = other_language.some(n_langs())
        declined = []
        if serving[home] and rng.random() < 0.02:
            declined = rng.sample(serving[home], min(len(serving[home]), rng.randint(1, 2)))
        registrations.append({
            "id": f"R{n:06d}",
            "community": home,
            "size": size(),
            "priority": priority(),
            "waiting_days": rng.randint(0, 1500),
            "languages": languages,
            "provider_gender": preference(),
            "needs": need.some(n_needs()),
            "declined": declined,
        })
    return {"providers": providers, "registrations": registrations}
