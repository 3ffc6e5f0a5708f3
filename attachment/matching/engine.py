"""The matching engine: who gets a place, and with which provider.

Pure Python on purpose: the same code runs from the database (the application), from
a JSON file (``manage.py match``), from tests and from the benchmark. Nothing here may
import Django.

The rules, as coordinators are promised them. Hard: the provider serves the
registration's community, has room for the whole household (never split), was never
declined by or for it, and does not decline its needs. Fairness: registrations take their
turn in rank order (priority desc, waiting days desc, id asc); each gets the best-fitting
eligible provider with room for its whole household (shared language, then the stated
provider-gender preference, then most room left, then provider id), or none if no
eligible provider in its community has room. Greedy in rank order is what makes the
fairness promise hold: nobody is skipped while someone ranked below them is served.

Speed: a registration must not look at every provider. Providers are kept in min-heaps
per (community), (community, gender), (community, language) and (community, language,
gender), keyed by a single int that orders by most room left then by provider id, and
refreshed lazily after a proposal changes a provider's room (see _Pool). One
remaining-room counter per provider is shared by all its heaps, so a provider serving
several communities can never be over-proposed. Most of a long waitlist is turned away
by a per-community bound on the room left, without touching a heap.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from heapq import heapify, heappop, heappush, heapreplace
from operator import attrgetter

# The one list of language names; registries.vocab is plain Python, so the engine stays Django-free.
from registries.vocab import language_name


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

_FULL = 1  # the heap key of a provider with no room left (see _Pool)


def ranked(registrations: Iterable[RegistrationItem]) -> list[RegistrationItem]:
    """Registrations in turn order: priority desc, waiting days desc, reference code asc.

    Three stable sorts, last key first, each on a plain attribute: the comparisons stay
    in C (no key tuples), and input already in reference order makes the first one
    nearly free.
    """
    order = sorted(registrations, key=attrgetter("id"))
    order.sort(key=attrgetter("waiting_days"), reverse=True)  # reverse sorts stay stable
    order.sort(key=attrgetter("priority"), reverse=True)
    return order


def _check_inputs(providers: Sequence[ProviderSlot], registrations: Sequence[RegistrationItem]):
    """Refuse what would make the rules ambiguous. The checks are whole-list operations;
    the offending record is looked for only once something is known to be wrong."""
    for kind, items in (("provider", providers), ("registration", registrations)):
        ids = [item.id for item in items]
        if len(set(ids)) != len(ids):
            seen = set()
            twice = next(i for i in ids if i in seen or seen.add(i))
            raise ValueError(f"{kind} ids must be unique: {twice} appears twice")
    if providers and min([p.capacity for p in providers]) < 0:
        bad = next(p.id for p in providers if p.capacity < 0)
        raise ValueError(f"provider {bad}: capacity must not be negative")
    if registrations and min([r.size for r in registrations]) < 1:
        bad = next(r.id for r in registrations if r.size < 1)
        raise ValueError(f"registration {bad}: household size must be at least 1")


class _Pool:
    """Providers indexed for fast 'best eligible provider with room' questions.

    Every heap holds exactly one key per provider. A proposal only changes the
    provider's current key; its heap entries become stale and are refreshed lazily,
    when one reaches the top of a heap someone is looking at. A stale entry always
    promises more room than the provider has, so it surfaces too early, never too
    late: a live key on top is truly the best in that heap. Heaps nobody asks about
    (a rare language in a busy place) cost nothing after they are built.
    """

    def __init__(self, providers: Sequence[ProviderSlot]):
        ordered = sorted(providers, key=lambda p: p.id)
        self.providers = ordered
        self.index = {p.id: i for i, p in enumerate(ordered)}
        # Key = -room * B + index: the smallest key is the most room, then the lowest
        # provider id. B > every index, so room and index can be read back from the key.
        B = self.B = max(1, len(ordered))
        self.room = [p.capacity for p in ordered]
        # A provider's current key. FULL is above every real key (those are negative, as
        # room >= 1) and every limit, so a provider with no room left sinks in each heap
        # and is never picked again; heaps never empty, which keeps the loops simple.
        self.cur_key = [_FULL] * len(ordered)
        self.need_bits: dict[str, int] = {}
        self.decline_mask = [self._mask(p.declines_needs, grow=True) for p in ordered]
        self.by_comm: dict[str, list[int]] = {}
        self.by_comm_gender: dict[tuple, list[int]] = {}
        self.by_comm_lang: dict[tuple, list[int]] = {}
        self.by_comm_lang_gender: dict[tuple, list[int]] = {}
        for i, p in enumerate(ordered):
            if p.capacity <= 0:
                continue  # no room now, and room never grows during a run
            key = self.cur_key[i] = -p.capacity * B + i
            for c in dict.fromkeys(p.communities):
                self.by_comm.setdefault(c, []).append(key)
                self.by_comm_gender.setdefault((c, p.gender), []).append(key)
                for lang in dict.fromkeys(p.languages):
                    self.by_comm_lang.setdefault((c, lang), []).append(key)
                    self.by_comm_lang_gender.setdefault((c, lang, p.gender), []).append(key)
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

    def run(self, turns: Iterable[RegistrationItem], explain):
        """Give each registration, in the order given, its best provider or nothing.

        Returns (proposals, unmatched registration ids, people proposed for), both
        lists in turn order; ``explain`` writes each proposal's reasons as it is made.
        """
        B = self.B
        cur_key = self.cur_key
        room = self.room
        decline_mask = self.decline_mask
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
            while True:
                k = heap[0]
                if k >= limit:
                    break
                i = k % B
                now = cur_key[i]
                if now != k:  # stale: put the provider where its room now belongs
                    heapreplace(heap, now)
                    continue
                if decline_mask[i] & needs or (declined and i in declined):
                    if held is None:
                        held = []
                    held.append(heappop(heap))
                    if not heap:
                        break
                    continue
                found = k
                break
            if held:
                for k in held:
                    heappush(heap, k)
            return found

        # Per community, an upper bound on the room any one provider there has left.
        # Room only shrinks, so once a household is too big for the bound, every later
        # household that size or bigger in that community is turned away without a
        # look at the heaps: that is most of a long waitlist.
        room_bound = {c: -(heap[0] // B) for c, heap in by_comm.items()}
        provider_ids = [p.id for p in self.providers]
        proposals = []
        people = 0
        unmatched = []
        for r in turns:
            c = r.community
            size = r.size
            if size > room_bound.get(c, 0):
                unmatched.append(r.id)
                continue
            limit = (1 - size) * B  # keys below this have room >= size
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
                        k = best(heap, limit if found is None else found, needs, declined)
                        if k is not None:
                            found = k
                how = _LANG_GENDER
            if found is None:
                for lang in langs:
                    heap = by_comm_lang.get((c, lang))
                    if heap:
                        k = best(heap, limit if found is None else found, needs, declined)
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
                everyone = by_comm[c]
                found = best(everyone, limit, needs, declined)
                how = _ANY
            if found is None:
                # The top key over-promises if stale, so this stays an upper bound.
                room_bound[c] = max(0, -(everyone[0] // B))
                unmatched.append(r.id)
                continue

            i = found % B
            before = room[i]
            left = room[i] = before - size
            cur_key[i] = -left * B + i if left > 0 else _FULL
            people += size
            proposals.append(Proposal(r.id, provider_ids[i], explain(r, i, before, how)))
        return proposals, unmatched, people


def _join(words: list[str], last: str) -> str:
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def _names(codes: Sequence[str]) -> list[str]:
    return [language_name(code) for code in dict.fromkeys(codes)]


# The reasons, one sentence per rule, in the order the rules apply. Each is a function
# of a few small values, so a run builds each distinct sentence once (see _explainer).

def speaks_reason(shared: Sequence[str]) -> str:
    return "Speaks " + _join(_names(shared), "and")


def no_language_reason(place: str, asked: Sequence[str]) -> str:
    return f"No eligible provider in {place} with room speaks {_join(_names(asked), 'or')}"


def gender_reason(place: str, asked: Sequence[str], preference: str, how: int) -> str:
    if how in (_LANG_GENDER, _GENDER):
        return f"Provider gender matches preference ({preference})"
    if how == _LANG:
        return (f"Gender preference ({preference}) not met: no eligible provider with room "
                f"matches it and speaks {_join(_names(asked), 'or')}")
    return (f"Gender preference ({preference}) not met: no eligible provider in {place} "
            f"with room matches it")


_AMONG = {
    _LANG_GENDER: " who share a language and match the gender preference",
    _LANG: " who share a language",
    _GENDER: " who match the gender preference",
    _ANY: "",
}


def room_reason(place: str, how: int, room_before: int) -> str:
    places = "place" if room_before == 1 else "places"
    return (f"Most room left among eligible providers in {place}{_AMONG[how]} "
            f"({room_before} {places})")


def turn_reason(priority: int, waiting_days: int) -> str:
    """Why this registration was served when it was (the fairness rule)."""
    days = "day" if waiting_days == 1 else "days"
    return f"Priority {priority}, waiting {waiting_days} {days}"


def _explainer(providers: Sequence[ProviderSlot], community_names: Mapping[str, str]):
    """A function giving a proposal's reasons: explain(registration, provider index,
    room before, how it was found) -> list of sentences.

    A run repeats the same sentences tens of thousands of times, so each distinct one
    is built once and shared (strings are immutable; every proposal gets its own list).
    Caches are keyed by plain values or per-place dicts rather than tuples where they
    can be: building and hashing a tuple key for each proposal costs more than it saves.
    """
    spoken = [frozenset(p.languages) for p in providers]
    speaks_cache: dict = {}
    not_spoken_cache: dict = {}
    gender_cache: dict = {}
    room_cache: dict[str, dict[int, str]] = {}
    turn_cache: dict[int, dict[int, str]] = {}

    def explain(r: RegistrationItem, pi: int, before: int, how: int) -> list[str]:
        community = r.community  # the cache key; its name is looked up only to write
        asked = tuple(r.languages)
        if how <= _LANG:
            if len(asked) == 1:
                shared = asked  # found through the only language asked for
            else:
                shared = tuple(filter(spoken[pi].__contains__, asked))
            text = speaks_cache.get(shared)
            if text is None:
                text = speaks_cache[shared] = speaks_reason(shared)
            reasons = [text]
        elif asked:
            key = (community, asked)
            text = not_spoken_cache.get(key)
            if text is None:
                text = not_spoken_cache[key] = no_language_reason(
                    community_names.get(community, community), asked)
            reasons = [text]
        else:
            reasons = []
        preference = r.provider_gender
        if preference is not None:
            key = (preference, how, community if how == _ANY else None,
                   asked if how == _LANG else None)
            text = gender_cache.get(key)
            if text is None:
                text = gender_cache[key] = gender_reason(
                    community_names.get(community, community), asked, preference, how)
            reasons.append(text)
        by_room = room_cache.get(community)
        if by_room is None:
            by_room = room_cache[community] = {}
        text = by_room.get(before * 4 + how)  # how is 0..3
        if text is None:
            text = by_room[before * 4 + how] = room_reason(
                community_names.get(community, community), how, before)
        reasons.append(text)
        by_wait = turn_cache.get(r.priority)
        if by_wait is None:
            by_wait = turn_cache[r.priority] = {}
        text = by_wait.get(r.waiting_days)
        if text is None:
            text = by_wait[r.waiting_days] = turn_reason(r.priority, r.waiting_days)
        reasons.append(text)
        return reasons

    return explain


def match(providers: Iterable[ProviderSlot], registrations: Iterable[RegistrationItem],
          community_names: Mapping[str, str] | None = None) -> MatchResult:
    """Propose a provider for as many registrations as the rules allow.

    Proposals and unmatched ids come back in rank order. ``community_names`` maps the
    community values used in the inputs (a primary key, say) to the names the reasons
    should show; values without a name are shown as they are. Raises ValueError on
    duplicate ids, negative capacity or a household size below 1.
    """
    started = time.perf_counter()
    # The run allocates a few hundred thousand small acyclic objects; letting the cycle
    # collector rescan every registration meanwhile costs a third of the run time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        providers = list(providers)
        registrations = list(registrations)
        _check_inputs(providers, registrations)
        pool = _Pool(providers)
        explain = _explainer(pool.providers, community_names or {})
        proposals, unmatched, people = pool.run(ranked(registrations), explain)
    finally:
        if collecting:
            gc.enable()
    figures = {
        "registrations": len(registrations),
        "providers": len(providers),
        "proposed": len(proposals),
        "people": people,
        "unmatched": len(unmatched),
        "seconds": round(time.perf_counter() - started, 4),
    }
    return MatchResult(proposals, unmatched, figures)
