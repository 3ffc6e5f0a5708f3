"""Why a run left a registration without a proposal, in the words a coordinator reads.

Not part of the engine's answer: PROPOSALS.json (the fixed file interface) lists the
unmatched ids only, so the database glue (db.py) asks this module afterwards and keeps
the reasons beside the run. Pure Python, like the engine.

The engine serves registrations greedily in rank order and room only shrinks, so a
registration is unplaced for one of these reasons, looked at over the providers of its
community as they stood when the run began:
- none of them had room for the whole household (or none was taking patients at all);
- those with room were not eligible: they do not take one of its needs, or the pair was
  declined before;
- some eligible provider had room, but it went to households ranked before it.

A long waitlist repeats the same few situations (community, size, needs) thousands of
times, so each is worked out once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from attachment.matching.engine import ProviderSlot, RegistrationItem


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


def _places(n: int) -> str:
    return "1 place" if n == 1 else f"{n} places"


def _join(words: Sequence[str]) -> str:
    words = list(dict.fromkeys(words))
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def explain_unplaced(
    providers: Iterable[ProviderSlot],
    registrations: Iterable[RegistrationItem],
    *,
    community_names: Mapping[str, str] | None = None,
    need_names: Mapping[str, str] | None = None,
    provider_name: Callable[[str], str] | None = None,
) -> dict[str, str]:
    """{registration id: reason} for the given unplaced registrations.

    `providers` are the run's providers with the room they had when it began (the
    engine's input); `registrations` the ones it left without a proposal.
    """
    community_names = community_names or {}
    need_names = need_names or {}
    provider_name = provider_name or (lambda pid: pid)
    in_community: dict[str, list[tuple]] = {}
    for p in providers:
        if p.capacity <= 0:
            continue
        entry = (p, frozenset(p.declines_needs))
        for c in dict.fromkeys(p.communities):
            in_community.setdefault(c, []).append(entry)
    # Most room first: a look stops at the first provider too small, or at the first
    # eligible one with room (the commonest answer by far).
    for there in in_community.values():
        there.sort(key=lambda e: (-e[0].capacity, e[0].id))

    # Two levels, so the common key (no needs, nothing declined) hashes no tuple.
    cache: dict[tuple, dict] = {}
    reasons = {}
    for r in registrations:
        by_place = cache.get((r.community, r.size))
        if by_place is None:
            by_place = cache[(r.community, r.size)] = {}
        key = (tuple(r.needs), tuple(r.declined)) if (r.needs or r.declined) else None
        text = by_place.get(key)
        if text is None:
            text = by_place[key] = _reason(r, in_community.get(r.community, ()), community_names,
                                           need_names, provider_name)
        reasons[r.id] = text
    return reasons


def _reason(r: RegistrationItem, there: Sequence[tuple], community_names, need_names,
            provider_name) -> str:
    place = community_names.get(r.community, r.community)
    if not there:
        return f"No provider in {place} is taking new patients now"
    if there[0][0].capacity < r.size:
        return (f"No provider in {place} has room for {_people(r.size)} "
                f"(the most any has is {_places(there[0][0].capacity)})")
    needs = set(r.needs)
    declined = set(r.declined)
    refused_needs: list[str] = []
    declined_before: list[ProviderSlot] = []
    with_room = []
    for p, declines in there:
        if p.capacity < r.size:
            break
        with_room.append(p)
        clash = needs & declines if needs else ()
        if clash:
            refused_needs.extend(sorted(clash))
        elif p.id in declined:
            declined_before.append(p)
        else:
            return (f"The places in {place} that fit {_people(r.size)} went to households ahead "
                    "in turn (higher priority or waiting longer)")
    named = ", ".join(provider_name(p.id) for p in sorted(declined_before, key=lambda p: p.id))
    if refused_needs:
        names = _join([need_names.get(n, n).lower() for n in refused_needs])
        if declined_before:
            return (f"The providers in {place} with room do not take {names}, "
                    f"or were declined before ({named})")
        if len(with_room) == 1:
            return f"The provider in {place} with room does not take {names}"
        return f"The providers in {place} with room do not take {names}"
    if len(declined_before) == 1:
        return (f"Declined this provider before ({named}), the only one in {place} "
                f"with room for {_people(r.size)}")
    return (f"Declined these providers before ({named}), the only ones in {place} "
            f"with room for {_people(r.size)}")
