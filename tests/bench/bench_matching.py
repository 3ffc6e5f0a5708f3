"""Benchmark of the matching engine at province scale.

    .venv/bin/python -m tests.bench.bench_matching [--registrations 300000] [--providers 7000]
                                                   [--communities 64] [--seed 1]

Generates an instance, writes it to a temporary INSTANCE.json, then times the file
interface's three steps (JSON parse, engine, write) and a deliberately plain reference
loop: for each registration in rank order, scan every provider. The plain loop is timed
on the first 10% of the turns and scaled up when the whole would take far more than a
minute (each turn scans all providers whatever happened before, so its cost per turn is
flat). Its proposals are compared with the engine's for the turns it ran.

Wall-clock seconds depend on what else the machine is doing, so the engine is run
several times and the fastest, the median and the CPU seconds are all printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from attachment.matching import match
from attachment.matching.fileio import load_instance, write_proposals
from attachment.matching.generate import generate_instance

PLAIN_BUDGET_SECONDS = 60


def plain_rank(registrations) -> list:
    return sorted(registrations, key=lambda r: (-r.priority, -r.waiting_days, r.id))


def plain_loop(providers, ranked) -> dict[str, str]:
    """The rules written as directly as possible; the yardstick, not the product.

    Takes registrations already in rank order; returns {registration id: provider id}.
    """
    room = {p.id: p.capacity for p in providers}
    proposed = {}
    for r in ranked:
        wanted = set(r.languages)
        needs = set(r.needs)
        best = None
        best_key = None
        for p in providers:
            if r.community not in p.communities or room[p.id] < r.size:
                continue
            if p.id in r.declined or needs & set(p.declines_needs):
                continue
            key = (bool(wanted & set(p.languages)),
                   r.provider_gender is not None and p.gender == r.provider_gender,
                   room[p.id])
            if best is None or key > best_key or (key == best_key and p.id < best.id):
                best, best_key = p, key
        if best is not None:
            proposed[r.id] = best.id
            room[best.id] -= r.size
    return proposed


def timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn(*args)
    return value, time.perf_counter() - wall, time.process_time() - cpu


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrations", type=int, default=300_000)
    parser.add_argument("--providers", type=int, default=7_000)
    parser.add_argument("--communities", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engine-runs", type=int, default=5)
    args = parser.parse_args(argv)

    print(f"Instance: {args.registrations:,} registrations, {args.providers:,} providers, "
          f"{args.communities} communities, seed {args.seed}")
    print("Machine: {} CPUs, load average {:.2f} {:.2f} {:.2f}".format(
        os.cpu_count(), *os.getloadavg()))
    instance, gen_s, _ = timed(generate_instance, args.registrations, args.providers,
                               args.communities, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        instance_path, out_path = Path(tmp) / "INSTANCE.json", Path(tmp) / "PROPOSALS.json"
        instance_path.write_text(json.dumps(instance))
        del instance
        size_mb = instance_path.stat().st_size / 1e6
        print(f"  generated in {gen_s:.1f} s, INSTANCE.json {size_mb:.0f} MB")

        (providers, registrations), parse_s, parse_cpu = timed(load_instance, instance_path)
        walls, cpus = [], []
        for _ in range(args.engine_runs):
            result, wall, cpu = timed(match, providers, registrations)
            walls.append(wall)
            cpus.append(cpu)
        _, write_s, _ = timed(write_proposals, result, out_path)
        out_mb = out_path.stat().st_size / 1e6

    f = result.figures
    engine_s = min(walls)
    print(f"  {f['proposed']:,} proposed ({f['people']:,} people), {f['unmatched']:,} unmatched")
    print(f"JSON parse (decode + engine inputs): {parse_s:6.2f} s  (cpu {parse_cpu:.2f} s)")
    print(f"engine, fastest of {len(walls)}:          {engine_s:6.3f} s  "
          f"(median {statistics.median(walls):.3f} s, cpu fastest {min(cpus):.3f} s)")
    print(f"write PROPOSALS.json ({out_mb:.0f} MB):       {write_s:6.2f} s")

    # The plain loop: rank once, probe a few turns to see whether all of them fit the
    # budget, else run the first 10% of the turns and scale the loop (not the sort) up.
    n = len(registrations)
    ranked, rank_s, _ = timed(plain_rank, registrations)
    probe = min(n, 1000)
    _, probe_s, _ = timed(plain_loop, providers, ranked[:probe])
    turns = n if probe_s * n / max(probe, 1) <= PLAIN_BUDGET_SECONDS else max(1, n // 10)
    plain, loop_s, _ = timed(plain_loop, providers, ranked[:turns])
    plain_s = rank_s + loop_s * n / turns
    if turns < n:
        print(f"plain loop: sort {rank_s:.2f} s + first {turns:,} turns (10%) in "
              f"{loop_s:.1f} s; extrapolated to all {n:,} turns: {plain_s:.0f} s")
    else:
        print(f"plain loop, all {n:,} turns:      {plain_s:6.1f} s")

    ran = {r.id for r in ranked[:turns]}
    engine_part = {p.registration: p.provider for p in result.proposals
                   if p.registration in ran}
    agree = plain == engine_part
    print(f"plain loop and engine agree on those turns: {'yes' if agree else 'NO'}")
    print(f"speed-up of the engine over the plain loop: {plain_s / engine_s:,.0f}x")
    if not agree:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
