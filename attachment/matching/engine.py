"""The matching engine: who gets a place, and with which provider.

Pure Python on purpose: the same code runs from the database (the application), from
a JSON file (``manage.py match``), from tests and from the benchmark. Nothing here may
import Django.

The rules are in /work/shared/formats/matching.md. In short: registrations take their
turn in rank order (priority desc, waiting days desc, id asc); each gets the best-fitting
eligible provider with room for its whole household (shared language, then the stated
provider-gender preference, then most room left, then provider id), or none if no
eligible provider in its community has room. Greedy in rank order is what makes the
fairness promise hold: nobody is skipped while someone ranked below them is served.

Speed: a registration must not look at every provider. Providers are kept in min-heaps
per (community), (community, gender), (community, language) and (community, language,
gender), keyed by a single int that orders by most room left then by provider id. A
proposal lowers a provider's room, so a fresh key is pushed and the old ones go stale;
stale keys are recognised (they differ from the provider's current key) and dropped when
they reach the top. One remaining-room counter per provider is shared by all its heaps,
so a provider serving several communities can never be over-proposed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from heapq import heapify, heappop, heappush

LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "pa": "Punjabi",
    "yue": "Cantonese",
    "cmn": "Mandarin",
    "zh": "Chinese",
    "tl": "Tagalog",
    "fa": "Farsi",
    "ko": "Korean",
    "hi": "Hindi",
    "es": "Spanish",
    "vi": "Vietnamese",
    "ar": "Arabic",
    "ru": "Russian",
    "de": "German",
    "ja": "Japanese",
    "ur": "Urdu",
    "gu": "Gujarati",
    "pl": "Polish",
    "pt": "Portuguese",
    "it": "Italian",
    "asl": "ASL",
}


@dataclass(slots=True)
class ProviderSlot:
    """A provider as the engine sees it.

    ``capacity`` is the *open* capacity: declared capacity minus places already
    proposed, offered or attached since the declaration. The caller computes it.
    """

    id: str
    communities: Sequence[str]
    capacity: int
    languages: Sequence[str] = ()
    gender: str | None = None
    declines_needs: Sequence[str] = ()


@dataclass(slots=True)
class RegistrationItem:
    """A waiting registration (a household) as the engine sees it.

    ``provider_gender`` is None when the patient stated no preference; ``declined``
    lists provider ids this registration must never be proposed to again.
    """

    id: str
    community: str
    size: int
    priority: int
    waiting_days: int
    languages: Sequence[str] = ()
    provider_gender: str | None = None
    needs: Sequence[str] = ()
    declined: Sequence[str] = ()


@dataclass(slots=True)
class Proposal:
    registration: str
    provider: str
    reasons: list[str]


@dataclass(slots=True)
class MatchResult:
    """Proposals in rank order, unmatched registration ids in rank order, and figures:
    registrations, providers, proposed, people, unmatched, seconds."""

    proposals: list[Proposal]
    unmatched: list[str]
    figures: dict = field(default_factory=dict)


# How a proposal was found; decides which reasons are true for it.
_LANG_GENDER, _LANG, _GENDER, _ANY = range(4)


def language_name(code: str) -> str:
    """Coordinators read language names, not codes; unknown codes are shown as they are."""
    return LANGUAGE_NAMES.get(code, code)


def rank_order(registrations: Sequence[RegistrationItem]) -> list[int]:
    """Indexes of ``registrations`` in turn order: priority desc, waiting desc, id asc.

    Two stable sorts on ints/strings instead of one sort on tuples: about twice as fast
    on 300,000 registrations, and the result is the same order.
    """
    n = len(registrations)
    if n == 0:
        return []
    ids = [r.id for r in registrations]
    order = sorted(range(n), key=ids.__getitem__)
    waits = [r.waiting_days for r in registrations]
    wmin = min(waits)
    wspan = max(waits) - wmin + 1
    # priority and waiting folded into one int that sorts like the (priority, waiting) pair
    urgency = [r.priority * wspan + (w - wmin) for r, w in zip(registrations, waits)]
    order.sort(key=urgency.__getitem__, reverse=True)  # reverse sorts stay stable
    return order


def _check_inputs(providers: Sequence[ProviderSlot], registrations: Sequence[RegistrationItem]):
    if len({p.id for p in providers}) != len(providers):
        raise ValueError("provider ids must be unique")
    if len({r.id for r in registrations}) != len(registrations):
        raise ValueError("registration ids must be unique")
    for p in providers:
        if p.capacity < 0:
            raise ValueError(f"provider {p.id}: capacity must not be negative")
    for r in registrations:
        if r.size < 1:
            raise ValueError(f"registration {r.id}: household size must be at least 1")


class _Pool:
    """Providers indexed for fast 'best eligible provider with room' questions."""

    def __init__(self, providers: Sequence[ProviderSlot]):
        ordered = sorted(providers, key=lambda p: p.id)
        self.providers = ordered
        self.index = {p.id: i for i, p in enumerate(ordered)}
        # Key = -room * B + index: the smallest key is the most room, then the lowest
        # provider id. B > every index, so room and index can be read back from the key.
        B = self.B = max(1, len(ordered))
        self.room = [p.capacity for p in ordered]
        # A provider's current key; a heap entry that differs from it is stale.
        # 1 is never a real key (real keys are < 0 because room >= 1), so it means "full".
        self.cur_key = [1] * len(ordered)
        self.need_bits: dict[str, int] = {}
        self.decline_mask = [self._mask(p.declines_needs, grow=True) for p in ordered]
        self.languages = [frozenset(p.languages) for p in ordered]
        self.by_comm: dict[str, list[int]] = {}
        self.by_comm_gender: dict[tuple, list[int]] = {}
        self.by_comm_lang: dict[tuple, list[int]] = {}
        self.by_comm_lang_gender: dict[tuple, list[int]] = {}
        self.heaps_of: list[list[list[int]]] = [[] for _ in ordered]
        for i, p in enumerate(ordered):
            if p.capacity <= 0:
                continue  # no room now, and room never grows during a run
            key = self.cur_key[i] = -p.capacity * B + i
            mine = self.heaps_of[i]
            for c in dict.fromkeys(p.communities):
                mine.append(self.by_comm.setdefault(c, []))
                mine.append(self.by_comm_gender.setdefault((c, p.gender), []))
                for lang in dict.fromkeys(p.languages):
                    mine.append(self.by_comm_lang.setdefault((c, lang), []))
                    mine.append(self.by_comm_lang_gender.setdefault((c, lang, p.gender), []))
            for heap in mine:
                heap.append(key)
        for table in (self.by_comm, self.by_comm_gender, self.by_comm_lang,
                      self.by_comm_lang_gender):
            for heap in table.values():
                heapify(heap)

    def _mask(self, needs: Iterable[str], grow: bool = False) -> int:
        """Needs as a bitmask, so 'does this provider decline any of these needs' is one &.

        Needs that no provider declines get no bit: they can never conflict.
        """
        mask = 0
        for need in needs:
            bit = self.need_bits.get(need)
            if bit is None:
                if not grow:
                    continue
                bit = self.need_bits[need] = 1 << len(self.need_bits)
            mask |= bit
        return mask

    def run(self, registrations: Sequence[RegistrationItem], order: Sequence[int]):
        """Give each registration, in ``order``, its best provider or nothing.

        Returns (picks, unmatched): picks are (registration index, provider index,
        room before the proposal, how it was found); unmatched are registration indexes.
        """
        B = self.B
        cur_key = self.cur_key
        room = self.room
        decline_mask = self.decline_mask
        heaps_of = self.heaps_of
        by_comm = self.by_comm
        by_comm_gender = self.by_comm_gender
        by_comm_lang = self.by_comm_lang
        by_comm_lang_gender = self.by_comm_lang_gender
        index = self.index
        mask_of = self._mask

        def best(heap, limit, needs, declined):
            """Smallest live key below ``limit`` whose provider is eligible, or None.

            Live keys below the limit have room for the household. Ineligible providers
            (declined pair, declined need) are lifted off and put back afterwards.
            """
            held = None
            found = None
            while heap:
                k = heap[0]
                if k >= limit:
                    break
                i = k % B
                if cur_key[i] != k:
                    heappop(heap)  # stale: the provider's room changed since
                    continue
                if decline_mask[i] & needs or (declined and i in declined):
                    if held is None:
                        held = []
                    held.append(heappop(heap))
                    continue
                found = k
                break
            if held:
                for k in held:
                    heappush(heap, k)
            return found

        picks = []
        unmatched = []
        for ri in order:
            r = registrations[ri]
            c = r.community
            everyone = by_comm.get(c)
            if not everyone:
                unmatched.append(ri)
                continue
            size = r.size
            limit = (1 - size) * B  # keys below this have room >= size
            # Cheap exit for most of a long waitlist: the community has no room left.
            top = everyone[0]
            while cur_key[top % B] != top:
                heappop(everyone)
                if not everyone:
                    break
                top = everyone[0]
            if not everyone or top >= limit:
                unmatched.append(ri)
                continue

            needs = mask_of(r.needs) if r.needs else 0
            declined = {index[d] for d in r.declined if d in index} if r.declined else None
            gender = r.provider_gender
            langs = r.languages
            found = None
            how = _ANY
            if gender is not None:
                for lang in langs:
                    heap = by_comm_lang_gender.get((c, lang, gender))
                    if heap:
                        k = best(heap, found if found is not None else limit, needs, declined)
                        if k is not None:
                            found = k
                how = _LANG_GENDER
            if found is None:
                for lang in langs:
                    heap = by_comm_lang.get((c, lang))
                    if heap:
                        k = best(heap, found if found is not None else limit, needs, declined)
                        if k is not None:
                            found = k
                how = _LANG
            # Past this point nobody eligible with room shares a language (they would
            # have been found above), so the whole community can be searched as is.
            if found is None and gender is not None:
                heap = by_comm_gender.get((c, gender))
                if heap:
                    found = best(heap, limit, needs, declined)
                how = _GENDER
            if found is None:
                found = best(everyone, limit, needs, declined)
                how = _ANY
            if found is None:
                unmatched.append(ri)
                continue

            i = found % B
            before = room[i]
            left = room[i] = before - size
            if left > 0:
                key = cur_key[i] = -left * B + i
                for heap in heaps_of[i]:
                    heappush(heap, key)
            else:
                cur_key[i] = 1
            picks.append((ri, i, before, how))
        return picks, unmatched


def _join(words: list[str], last: str) -> str:
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def reasons_for(registration: RegistrationItem, provider: ProviderSlot, room_before: int,
                how: int) -> list[str]:
    """The sentences a coordinator reads next to a proposal, in the order the rules apply."""
    r, p = registration, provider
    asked = [language_name(code) for code in dict.fromkeys(r.languages)]
    place = r.community
    reasons = []
    among = "eligible providers in " + place
    if how in (_LANG_GENDER, _LANG):
        spoken = set(p.languages)
        shared = [language_name(code) for code in dict.fromkeys(r.languages) if code in spoken]
        reasons.append("Speaks " + _join(shared, "and"))
        among += " who speak " + _join(asked, "or")
    elif asked:
        reasons.append(f"No eligible provider in {place} with room speaks {_join(asked, 'or')}")
    if r.provider_gender is not None:
        pref = r.provider_gender
        if how in (_LANG_GENDER, _GENDER):
            reasons.append(f"Provider gender matches preference ({pref})")
            among += (" and" if how == _LANG_GENDER else " who") + " match the gender preference"
        elif how == _LANG:
            reasons.append(f"Gender preference ({pref}) not met: no eligible provider with room "
                           f"matches it and speaks {_join(asked, 'or')}")
        else:
            reasons.append(f"Gender preference ({pref}) not met: no eligible provider in "
                           f"{place} with room matches it")
    places = "place" if room_before == 1 else "places"
    reasons.append(f"Most room left among {among} ({room_before} {places})")
    days = "day" if r.waiting_days == 1 else "days"
    reasons.append(f"Priority {r.priority}, waiting {r.waiting_days} {days}")
    return reasons


def match(providers: Iterable[ProviderSlot],
          registrations: Iterable[RegistrationItem]) -> MatchResult:
    """Propose a provider for as many registrations as the rules allow.

    Proposals and unmatched ids come back in rank order. Raises ValueError on duplicate
    ids, negative capacity or a household size below 1.
    """
    started = time.perf_counter()
    providers = list(providers)
    registrations = list(registrations)
    _check_inputs(providers, registrations)
    pool = _Pool(providers)
    picks, unmatched_idx = pool.run(registrations, rank_order(registrations))
    proposals = []
    people = 0
    for ri, pi, before, how in picks:
        r = registrations[ri]
        p = pool.providers[pi]
        people += r.size
        proposals.append(Proposal(r.id, p.id, reasons_for(r, p, before, how)))
    unmatched = [registrations[ri].id for ri in unmatched_idx]
    figures = {
        "registrations": len(registrations),
        "providers": len(providers),
        "proposed": len(proposals),
        "people": people,
        "unmatched": len(unmatched),
        "seconds": round(time.perf_counter() - started, 4),
    }
    return MatchResult(proposals, unmatched, figures)
