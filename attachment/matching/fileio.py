"""The engine's file interface: INSTANCE.json in, PROPOSALS.json out.

INSTANCE.json: {"providers": [{id, communities, capacity, languages, gender,
declines_needs}], "registrations": [{id, community, size, priority, waiting_days,
languages, provider_gender (or null), needs, declined (provider ids)}]}.
PROPOSALS.json: {"proposals": [{registration, provider, reasons}], "unmatched": [ids],
"figures": {counts and seconds}}. This is what ``manage.py match
--instance ... --out ...`` runs, so what-if runs, tests and benchmarks exercise the
very engine the application uses.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from attachment.matching.engine import MatchResult, ProviderSlot, RegistrationItem, match


class InstanceError(ValueError):
    """The instance file does not follow the format; the message says where."""


# The format, field by field: (name, kind, required). Kinds: "text", "int", "texts"
# (a list of strings), "text?" (a string or null).
PROVIDER_FIELDS = (
    ("id", "text", True), ("communities", "texts", True), ("capacity", "int", True),
    ("languages", "texts", False), ("gender", "text?", False),
    ("declines_needs", "texts", False),
)
REGISTRATION_FIELDS = (
    ("id", "text", True), ("community", "text", True), ("size", "int", True),
    ("priority", "int", True), ("waiting_days", "int", True), ("languages", "texts", False),
    ("provider_gender", "text?", False), ("needs", "texts", False),
    ("declined", "texts", False),
)
_KIND_WORDS = {"text": "a string", "int": "an integer", "texts": "a list of strings",
               "text?": "a string or null"}


def _fits(value, kind: str) -> bool:
    if kind == "text":
        return isinstance(value, str)
    if kind == "int":
        return type(value) is int  # bool is an int subclass and is not a count
    if kind == "texts":
        return value is None or (isinstance(value, list)
                                 and all(isinstance(v, str) for v in value))
    return value is None or isinstance(value, str)


def _problem(record, where: str, fields) -> InstanceError:
    """The precise complaint about a record the fast path could not take."""
    if not isinstance(record, dict):
        return InstanceError(f"{where} must be an object")
    for name, kind, required in fields:
        if name not in record:
            if required:
                return InstanceError(f"{where}: missing '{name}'")
        elif not _fits(record[name], kind):
            return InstanceError(f"{where}: '{name}' must be {_KIND_WORDS[kind]}")
    return InstanceError(f"{where}: not a valid record")


# Communities, languages, needs and genders repeat across 300,000 records. Interned,
# each is one shared string whose hash is computed once, which makes the engine's
# dictionary lookups on them about a sixth faster than on JSON's fresh copies.
_intern = sys.intern


def _codes(value) -> tuple[str, ...]:
    if not value:
        if value is None or value == []:
            return ()
        raise TypeError
    if type(value) is not list:
        raise TypeError
    return tuple(map(_intern, value))  # sys.intern refuses anything but a str


def _code(value) -> str | None:
    return None if value is None else _intern(value)


def parse_provider(record: dict, n: int) -> ProviderSlot:
    try:
        item = ProviderSlot(
            id=record["id"], communities=_codes(record["communities"]),
            capacity=record["capacity"], languages=_codes(record.get("languages")),
            gender=_code(record.get("gender")),
            declines_needs=_codes(record.get("declines_needs")),
        )
    except (KeyError, TypeError):
        raise _problem(record, f"providers[{n}]", PROVIDER_FIELDS) from None
    if type(item.id) is not str or type(item.capacity) is not int:
        raise _problem(record, f"providers[{n}]", PROVIDER_FIELDS)
    return item


def parse_registration(record: dict, n: int) -> RegistrationItem:
    try:
        item = RegistrationItem(
            id=record["id"], community=_intern(record["community"]), size=record["size"],
            priority=record["priority"], waiting_days=record["waiting_days"],
            languages=_codes(record.get("languages")),
            provider_gender=_code(record.get("provider_gender")),
            needs=_codes(record.get("needs")), declined=_codes(record.get("declined")),
        )
    except (KeyError, TypeError):
        raise _problem(record, f"registrations[{n}]", REGISTRATION_FIELDS) from None
    if (type(item.id) is not str or type(item.size) is not int
            or type(item.priority) is not int or type(item.waiting_days) is not int):
        raise _problem(record, f"registrations[{n}]", REGISTRATION_FIELDS)
    return item


def parse_instance(data: dict) -> tuple[list[ProviderSlot], list[RegistrationItem]]:
    """An INSTANCE.json document (already decoded) as engine inputs."""
    if not isinstance(data, dict):
        raise InstanceError("the instance must be a JSON object")
    providers = data.get("providers")
    registrations = data.get("registrations")
    if not isinstance(providers, list) or not isinstance(registrations, list):
        raise InstanceError("the instance needs 'providers' and 'registrations' lists")
    return ([parse_provider(r, n) for n, r in enumerate(providers)],
            [parse_registration(r, n) for n, r in enumerate(registrations)])


def load_instance(path: str | Path) -> tuple[list[ProviderSlot], list[RegistrationItem]]:
    with open(path, encoding="utf-8") as f:
        return parse_instance(json.load(f))


def proposals_document(result: MatchResult) -> dict:
    """The PROPOSALS.json document; figures carry exactly the keys the format names."""
    f = result.figures
    return {
        "proposals": [{"registration": p.registration, "provider": p.provider,
                       "reasons": p.reasons} for p in result.proposals],
        "unmatched": result.unmatched,
        "figures": {key: f[key] for key in
                    ("registrations", "providers", "proposed", "people", "seconds")},
    }


def write_proposals(result: MatchResult, path: str | Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(proposals_document(result), f, ensure_ascii=False)
        f.write("\n")


def run_file(instance_path: str | Path, out_path: str | Path) -> dict:
    """Match the instance in one file and write the proposals to another.

    Returns the engine's figures plus parse_seconds, engine_seconds and write_seconds.
    The ``seconds`` written to PROPOSALS.json are the engine's own.
    """
    t0 = time.perf_counter()
    providers, registrations = load_instance(instance_path)
    t1 = time.perf_counter()
    result = match(providers, registrations)
    t2 = time.perf_counter()
    write_proposals(result, out_path)
    t3 = time.perf_counter()
    return {
        **result.figures,
        "parse_seconds": round(t1 - t0, 4),
        "engine_seconds": round(t2 - t1, 4),
        "write_seconds": round(t3 - t2, 4),
    }
