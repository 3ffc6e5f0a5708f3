"""The engine's file interface: INSTANCE.json in, PROPOSALS.json out.

Formats are in /work/shared/formats/matching.md. This is what ``manage.py match
--instance ... --out ...`` runs, so what-if runs, tests and benchmarks exercise the
very engine the application uses.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from attachment.matching.engine import MatchResult, ProviderSlot, RegistrationItem, match


class InstanceError(ValueError):
    """The instance file does not follow the format; the message says where."""


def _texts(record: dict, key: str, where: str, required: bool = False) -> tuple[str, ...]:
    value = record.get(key) if not required else record[key]
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InstanceError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


def _int(record: dict, key: str, where: str) -> int:
    value = record[key]
    if type(value) is not int:  # bool is an int subclass and is not a count
        raise InstanceError(f"{where}: '{key}' must be an integer")
    return value


def _text(record: dict, key: str, where: str, nullable: bool = False) -> str | None:
    value = record.get(key) if nullable else record[key]
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise InstanceError(f"{where}: '{key}' must be a string")
    return value


def parse_provider(record: dict, n: int) -> ProviderSlot:
    where = f"providers[{n}]"
    try:
        return ProviderSlot(
            id=_text(record, "id", where),
            communities=_texts(record, "communities", where, required=True),
            capacity=_int(record, "capacity", where),
            languages=_texts(record, "languages", where),
            gender=_text(record, "gender", where, nullable=True),
            declines_needs=_texts(record, "declines_needs", where),
        )
    except KeyError as missing:
        raise InstanceError(f"{where}: missing {missing}") from None


def parse_registration(record: dict, n: int) -> RegistrationItem:
    where = f"registrations[{n}]"
    try:
        return RegistrationItem(
            id=_text(record, "id", where),
            community=_text(record, "community", where),
            size=_int(record, "size", where),
            priority=_int(record, "priority", where),
            waiting_days=_int(record, "waiting_days", where),
            languages=_texts(record, "languages", where),
            provider_gender=_text(record, "provider_gender", where, nullable=True),
            needs=_texts(record, "needs", where),
            declined=_texts(record, "declined", where),
        )
    except KeyError as missing:
        raise InstanceError(f"{where}: missing {missing}") from None


def parse_instance(data: dict) -> tuple[list[ProviderSlot], list[RegistrationItem]]:
    """An INSTANCE.json document (already decoded) as engine inputs."""
    if not isinstance(data, dict):
        raise InstanceError("the instance must be a JSON object")
    providers = data.get("providers")
    registrations = data.get("registrations")
    if not isinstance(providers, list) or not isinstance(registrations, list):
        raise InstanceError("the instance needs 'providers' and 'registrations' lists")
    for name, records in (("providers", providers), ("registrations", registrations)):
        for n, record in enumerate(records):
            if not isinstance(record, dict):
                raise InstanceError(f"{name}[{n}] must be an object")
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
