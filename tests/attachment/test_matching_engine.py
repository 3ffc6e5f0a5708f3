"""The matching engine against the promises made to coordinators (attachment/matching/engine.py).

No database: the engine is pure Python. The checker below replays a result on its own,
scanning every provider for every registration, so that the engine's fast structures are
judged by something too plain to share their bugs.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attachment.matching import ProviderSlot, RegistrationItem, match
from attachment.matching.fileio import InstanceError, load_instance, run_file
from attachment.matching.generate import generate_instance

# ---------------------------------------------------------------- independent checker


def _rank_key(reg: dict):
    return (-reg["priority"], -reg["waiting_days"], reg["id"])


def _eligible(prov: dict, reg: dict) -> bool:
    return (reg["community"] in prov["communities"]
            and prov["id"] not in reg["declined"]
            and not set(prov["declines_needs"]) & set(reg["needs"]))


def _fit(prov: dict, reg: dict, room: int):
    shares_language = bool(set(prov["languages"]) & set(reg["languages"]))
    wanted = reg["provider_gender"]
    gender_ok = wanted is not None and prov["gender"] == wanted
    return (shares_language, gender_ok, room)


def check_result(instance: dict, proposed: dict[str, str], unmatched: list[str]) -> None:
    """Assert every rule: hard constraints 1-4, fairness, fit (ties by provider id)."""
    providers = {p["id"]: p for p in instance["providers"]}
    regs = instance["registrations"]
    assert len(proposed) + len(unmatched) == len(regs)
    assert set(proposed) | set(unmatched) == {r["id"] for r in regs}
    assert not set(proposed) & set(unmatched)

    # Hard constraints, on the result as a whole.
    used = dict.fromkeys(providers, 0)
    by_id = {r["id"]: r for r in regs}
    for rid, pid in proposed.items():
        reg, prov = by_id[rid], providers[pid]
        assert reg["community"] in prov["communities"], (rid, pid, "community")
        assert pid not in reg["declined"], (rid, pid, "declined pair")
        assert not set(prov["declines_needs"]) & set(reg["needs"]), (rid, pid, "needs")
        used[pid] += reg["size"]
    for pid, places in used.items():
        assert places <= max(providers[pid]["capacity"], 0), (pid, "capacity")

    # Fairness and fit, by replaying the turns in rank order.
    room = {pid: p["capacity"] for pid, p in providers.items()}
    for reg in sorted(regs, key=_rank_key):
        candidates = [p for p in providers.values()
                      if _eligible(p, reg) and room[p["id"]] >= reg["size"]]
        if reg["id"] not in proposed:
            assert not candidates, (reg["id"], "left out although", candidates[0]["id"], "had room")
            continue
        best = max(_fit(p, reg, room[p["id"]]) for p in candidates)
        expected = min(p["id"] for p in candidates if _fit(p, reg, room[p["id"]]) == best)
        assert proposed[reg["id"]] == expected, (reg["id"], "fit", proposed[reg["id"]], expected)
        room[expected] -= reg["size"]


def run_engine(instance: dict):
    providers = [ProviderSlot(**p) for p in instance["providers"]]
    registrations = [RegistrationItem(**r) for r in instance["registrations"]]
    return match(providers, registrations)


def check_engine(instance: dict):
    result = run_engine(instance)
    check_result(instance, {p.registration: p.provider for p in result.proposals},
                 result.unmatched)
    return result


# ---------------------------------------------------------------- hand-made cases


def prov(pid, communities=("Kamloops",), capacity=10, languages=("en",), gender="F",
         declines_needs=()):
    return {"id": pid, "communities": list(communities), "capacity": capacity,
            "languages": list(languages), "gender": gender,
            "declines_needs": list(declines_needs)}


def reg(rid, community="Kamloops", size=1, priority=0, waiting_days=0, languages=("en",),
        provider_gender=None, needs=(), declined=()):
    return {"id": rid, "community": community, "size": size, "priority": priority,
            "waiting_days": waiting_days, "languages": list(languages),
            "provider_gender": provider_gender, "needs": list(needs),
            "declined": list(declined)}


def proposals_of(instance):
    result = check_engine(instance)
    return {p.registration: p.provider for p in result.proposals}, result.unmatched


def test_only_providers_serving_the_community_are_proposed():
    instance = {"providers": [prov("P1", communities=["Merritt"]), prov("P2")],
                "registrations": [reg("R1"), reg("R2", community="Hope")]}
    assert proposals_of(instance) == ({"R1": "P2"}, ["R2"])


def test_households_are_never_split_across_providers():
    instance = {"providers": [prov("P1", capacity=2), prov("P2", capacity=2)],
                "registrations": [reg("R1", size=3), reg("R2", size=2)]}
    proposed, unmatched = proposals_of(instance)
    assert unmatched == ["R1"]
    assert proposed == {"R2": "P1"}


def test_capacity_is_never_exceeded_and_zero_capacity_gets_nobody():
    instance = {"providers": [prov("P1", capacity=3), prov("P0", capacity=0)],
                "registrations": [reg("R1", size=2, priority=2), reg("R2", size=2, priority=1),
                                  reg("R3", size=1)]}
    assert proposals_of(instance) == ({"R1": "P1", "R3": "P1"}, ["R2"])


def test_a_declined_pair_is_never_proposed_again():
    instance = {"providers": [prov("P1", capacity=30), prov("P2", capacity=5)],
                "registrations": [reg("R1", declined=["P1"]),
                                  reg("R2", declined=["P1", "P2"]),
                                  reg("R3", declined=["P-gone"])]}
    proposed, unmatched = proposals_of(instance)
    assert proposed == {"R1": "P2", "R3": "P1"}
    assert unmatched == ["R2"]


def test_a_provider_declining_a_need_is_not_proposed_for_it():
    instance = {"providers": [prov("P1", capacity=30, declines_needs=["maternity"]),
                              prov("P2", capacity=1)],
                "registrations": [reg("R1", needs=["maternity"], priority=1),
                                  reg("R2", needs=["maternity", "infant"]),
                                  reg("R3", needs=["infant"])]}
    proposed, unmatched = proposals_of(instance)
    assert proposed == {"R1": "P2", "R3": "P1"}
    assert unmatched == ["R2"]


def test_the_last_place_goes_by_priority_then_waiting_then_reference():
    one_place = [prov("P1", capacity=1)]
    by_priority = [reg("R1", priority=1, waiting_days=900), reg("R2", priority=2)]
    by_waiting = [reg("R1", waiting_days=10), reg("R2", waiting_days=11)]
    # Reference codes compare as text: "R10" comes before "R9".
    by_reference = [reg("R9"), reg("R10")]
    assert proposals_of({"providers": one_place, "registrations": by_priority})[0] == {"R2": "P1"}
    assert proposals_of({"providers": one_place, "registrations": by_waiting})[0] == {"R2": "P1"}
    assert proposals_of({"providers": one_place, "registrations": by_reference})[0] == {
        "R10": "P1"}


def test_a_big_household_ranked_first_is_not_passed_over_for_a_small_one():
    instance = {"providers": [prov("P1", capacity=4)],
                "registrations": [reg("R1", size=4, priority=5), reg("R2", size=1)]}
    assert proposals_of(instance) == ({"R1": "P1"}, ["R2"])


def test_a_provider_in_two_communities_has_one_capacity():
    instance = {"providers": [prov("P1", communities=["Nelson", "Trail"], capacity=3)],
                "registrations": [reg("R1", community="Nelson", size=2, priority=3),
                                  reg("R2", community="Trail", size=2, priority=2),
                                  reg("R3", community="Trail", size=1, priority=1)]}
    assert proposals_of(instance) == ({"R1": "P1", "R3": "P1"}, ["R2"])


def test_fit_prefers_language_over_gender_over_room():
    providers = [prov("P1", languages=["en", "pa"], gender="M", capacity=2),
                 prov("P2", languages=["en"], gender="F", capacity=40),
                 prov("P3", languages=["en"], gender="M", capacity=50)]
    instance = {"providers": providers, "registrations": [
        reg("R1", priority=3, languages=["pa"], provider_gender="F"),
        reg("R2", priority=2, languages=["en"], provider_gender="F"),
        reg("R3", priority=1, languages=["en"])]}
    assert proposals_of(instance)[0] == {"R1": "P1", "R2": "P2", "R3": "P3"}


def test_equal_fit_goes_to_the_lower_provider_id():
    instance = {"providers": [prov("P2", capacity=5), prov("P1", capacity=5)],
                "registrations": [reg("R1")]}
    assert proposals_of(instance)[0] == {"R1": "P1"}


def test_no_shared_language_still_gets_a_provider_with_room():
    instance = {"providers": [prov("P1", languages=["fr"], gender="M", capacity=5),
                              prov("P2", languages=["en"], gender="F", capacity=1)],
                "registrations": [reg("R1", languages=["ko"], provider_gender="F")]}
    assert proposals_of(instance)[0] == {"R1": "P2"}


def test_reasons_say_why_in_words():
    instance = {"providers": [prov("P1", languages=["en", "pa"], capacity=12)],
                "registrations": [reg("R1", size=2, priority=3, waiting_days=140,
                                      languages=["pa", "en"], provider_gender="F")]}
    [proposal] = check_engine(instance).proposals
    assert proposal.reasons == [
        "Speaks Punjabi and English",
        "Provider gender matches preference (F)",
        ("Most room left among eligible providers in Kamloops who share a language "
         "and match the gender preference (12 places)"),
        "Priority 3, waiting 140 days",
    ]


def test_reasons_admit_what_could_not_be_met():
    instance = {"providers": [prov("P1", languages=["en"], gender="M", capacity=1)],
                "registrations": [reg("R1", languages=["xq"], provider_gender="F",
                                      waiting_days=1)]}
    [proposal] = check_engine(instance).proposals
    assert proposal.reasons == [
        "No eligible provider in Kamloops with room speaks xq",
        "Gender preference (F) not met: no eligible provider in Kamloops with room matches it",
        "Most room left among eligible providers in Kamloops (1 place)",
        "Priority 0, waiting 1 day",
    ]


def test_reasons_when_language_outranks_gender_and_when_only_gender_fits():
    instance = {"providers": [prov("P1", languages=["pa"], gender="M", capacity=5),
                              prov("P2", languages=["en"], gender="F", capacity=5)],
                "registrations": [reg("R1", priority=1, languages=["pa"], provider_gender="F"),
                                  reg("R2", languages=["ko"], provider_gender="F")]}
    reasons = {p.registration: p.reasons for p in check_engine(instance).proposals}
    assert reasons == {
        "R1": ["Speaks Punjabi",
               ("Gender preference (F) not met: no eligible provider with room matches it "
                "and speaks Punjabi"),
               ("Most room left among eligible providers in Kamloops who share a language "
                "(5 places)"),
               "Priority 1, waiting 0 days"],
        "R2": ["No eligible provider in Kamloops with room speaks Korean",
               "Provider gender matches preference (F)",
               ("Most room left among eligible providers in Kamloops who match the gender "
                "preference (5 places)"),
               "Priority 0, waiting 0 days"],
    }


def test_reasons_name_communities_given_by_key():
    instance = {"providers": [prov("P1", communities=["12"], languages=["en"], capacity=3)],
                "registrations": [reg("R1", community="12", languages=["ko"])]}
    result = match([ProviderSlot(**p) for p in instance["providers"]],
                   [RegistrationItem(**r) for r in instance["registrations"]],
                   community_names={"12": "Kamloops"})
    assert result.proposals[0].reasons[:2] == [
        "No eligible provider in Kamloops with room speaks Korean",
        "Most room left among eligible providers in Kamloops (3 places)",
    ]


def test_invalid_inputs_are_refused():
    with pytest.raises(ValueError, match="provider ids"):
        run_engine({"providers": [prov("P1"), prov("P1")], "registrations": []})
    with pytest.raises(ValueError, match="registration ids"):
        run_engine({"providers": [], "registrations": [reg("R1"), reg("R1")]})
    with pytest.raises(ValueError, match="household size"):
        run_engine({"providers": [prov("P1")], "registrations": [reg("R1", size=0)]})


def test_figures_count_what_was_done():
    instance = {"providers": [prov("P1", capacity=3)],
                "registrations": [reg("R1", size=3), reg("R2")]}
    figures = run_engine(instance).figures
    assert {k: figures[k] for k in ("registrations", "providers", "proposed", "people",
                                    "unmatched")} == {
        "registrations": 2, "providers": 1, "proposed": 1, "people": 3, "unmatched": 1}
    assert figures["seconds"] >= 0


# ---------------------------------------------------------------- properties

COMMUNITIES = ["Kamloops", "Merritt", "Hope"]
LANGUAGES = ["en", "pa", "fr", "xq"]
NEEDS = ["maternity", "infant", "palliative"]


@st.composite
def instances(draw):
    n_providers = draw(st.integers(0, 8))
    providers = [{
        "id": f"P{n}",
        "communities": draw(st.lists(st.sampled_from(COMMUNITIES), min_size=1, max_size=3,
                                     unique=True)),
        "capacity": draw(st.integers(0, 8)),
        "languages": draw(st.lists(st.sampled_from(LANGUAGES), max_size=3, unique=True)),
        "gender": draw(st.sampled_from(["F", "M", "X", None])),
        "declines_needs": draw(st.lists(st.sampled_from(NEEDS), max_size=2, unique=True)),
    } for n in range(n_providers)]
    provider_ids = [p["id"] for p in providers] + ["P-unknown"]
    # Reference codes drawn as numbers so that text order ("R10" < "R9") is exercised.
    ids = draw(st.lists(st.integers(0, 60), max_size=30, unique=True))
    registrations = [{
        "id": f"R{n}",
        # "Tofino" is served by nobody.
        "community": draw(st.sampled_from(COMMUNITIES + ["Tofino"])),
        "size": draw(st.integers(1, 5)),
        # Narrow ranges so ties in priority and waiting are common.
        "priority": draw(st.integers(0, 3)),
        "waiting_days": draw(st.integers(0, 4)),
        "languages": draw(st.lists(st.sampled_from(LANGUAGES), max_size=3, unique=True)),
        "provider_gender": draw(st.sampled_from([None, None, "F", "M", "X"])),
        "needs": draw(st.lists(st.sampled_from(NEEDS), max_size=2, unique=True)),
        "declined": draw(st.lists(st.sampled_from(provider_ids), max_size=2, unique=True)),
    } for n in ids]
    return {"providers": providers, "registrations": registrations}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_rule_holds_on_drawn_instances(instance):
    check_engine(instance)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6))
def test_every_rule_holds_on_generated_instances(seed, n_communities):
    check_engine(generate_instance(300, 25, n_communities, seed=seed))


@settings(max_examples=60, deadline=None)
@given(instances(), st.randoms(use_true_random=False))
def test_input_order_does_not_change_the_result(instance, rnd):
    first = run_engine(instance)
    shuffled = {key: list(records) for key, records in instance.items()}
    rnd.shuffle(shuffled["providers"])
    rnd.shuffle(shuffled["registrations"])
    again = run_engine(shuffled)
    assert again.proposals == first.proposals
    assert again.unmatched == first.unmatched


@settings(max_examples=100, deadline=None)
@given(instances())
def test_every_proposal_explains_itself(instance):
    regs = {r["id"]: r for r in instance["registrations"]}
    provs = {p["id"]: p for p in instance["providers"]}
    for proposal in run_engine(instance).proposals:
        r, p = regs[proposal.registration], provs[proposal.provider]
        reasons = proposal.reasons
        assert reasons[-1].startswith(f"Priority {r['priority']}, waiting {r['waiting_days']} ")
        assert reasons[-2].startswith("Most room left among eligible providers in "
                                      + r["community"])
        assert any(s.startswith("Speaks ") for s in reasons) == bool(
            set(r["languages"]) & set(p["languages"]))
        assert any("gender" in s.lower() for s in reasons) == (r["provider_gender"] is not None)


def test_generator_is_deterministic_and_within_its_ranges():
    one = generate_instance(2000, 100, 70, seed=7)
    assert one == generate_instance(2000, 100, 70, seed=7)
    assert one != generate_instance(2000, 100, 70, seed=8)
    regs, provs = one["registrations"], one["providers"]
    assert len(regs) == 2000 and len(provs) == 100
    assert all(1 <= r["size"] <= 5 and 0 <= r["priority"] <= 10 for r in regs)
    assert all(0 <= r["waiting_days"] <= 1500 and 1 <= len(r["languages"]) <= 3 for r in regs)
    assert sum(r["size"] <= 2 for r in regs) > len(regs) / 2
    assert sum(r["priority"] <= 2 for r in regs) > len(regs) / 2
    assert sum(r["provider_gender"] is None for r in regs) > len(regs) / 2
    assert any(r["declined"] for r in regs)
    assert all(0 <= p["capacity"] <= 50 and 1 <= len(p["communities"]) <= 3 for p in provs)
    assert all(1 <= len(p["languages"]) <= 3 and len(p["declines_needs"]) <= 2 for p in provs)
    assert len({r["community"] for r in regs}) > 40


# ---------------------------------------------------------------- file interface


def test_file_round_trip(tmp_path):
    instance = generate_instance(500, 40, 5, seed=11)
    instance_path, out_path = tmp_path / "INSTANCE.json", tmp_path / "PROPOSALS.json"
    instance_path.write_text(json.dumps(instance))

    figures = run_file(instance_path, out_path)

    document = json.loads(out_path.read_text())
    assert set(document) == {"proposals", "unmatched", "figures"}
    assert set(document["figures"]) == {"registrations", "providers", "proposed", "people",
                                        "seconds"}
    for item in document["proposals"]:
        assert set(item) == {"registration", "provider", "reasons"}
        assert item["reasons"] and all(isinstance(s, str) and s for s in item["reasons"])
    proposed = {item["registration"]: item["provider"] for item in document["proposals"]}
    assert len(proposed) == len(document["proposals"])
    check_result(instance, proposed, document["unmatched"])
    sizes = {r["id"]: r["size"] for r in instance["registrations"]}
    assert document["figures"]["registrations"] == figures["registrations"] == 500
    assert document["figures"]["providers"] == 40
    assert document["figures"]["proposed"] == len(proposed) > 0
    assert document["figures"]["people"] == sum(sizes[r] for r in proposed)
    assert len(document["unmatched"]) > 0
    assert {"parse_seconds", "engine_seconds", "write_seconds"} <= set(figures)


def test_optional_fields_may_be_null_or_missing(tmp_path):
    path = tmp_path / "INSTANCE.json"
    path.write_text(json.dumps({
        "providers": [{"id": "P1", "communities": ["Hope"], "capacity": 2, "gender": None}],
        "registrations": [{"id": "R1", "community": "Hope", "size": 1, "priority": 0,
                           "waiting_days": 3, "provider_gender": None, "needs": []}]}))
    providers, registrations = load_instance(path)
    assert [p.registration for p in match(providers, registrations).proposals] == ["R1"]


@pytest.mark.parametrize("broken, message", [
    ({"providers": []}, "'providers' and 'registrations'"),
    ({"providers": [{"id": "P1", "capacity": 1}], "registrations": []}, "providers\\[0\\]"),
    ({"providers": [], "registrations": [dict(reg("R1"), size="2")]}, "'size'"),
    ({"providers": [], "registrations": [dict(reg("R1"), languages="en")]}, "'languages'"),
    ({"providers": [], "registrations": [dict(reg("R1"), needs=[3])]}, "'needs'"),
    ({"providers": [], "registrations": [dict(reg("R1"), provider_gender=2)]},
     "'provider_gender' must be a string or null"),
    ({"providers": [dict(prov("P1"), capacity=True)], "registrations": []}, "'capacity'"),
    ({"providers": [], "registrations": [reg("R1"), ["R2"]]},
     "registrations\\[1\\] must be an object"),
])
def test_a_malformed_instance_is_refused_with_its_place(tmp_path, broken, message):
    path = tmp_path / "INSTANCE.json"
    path.write_text(json.dumps(broken))
    with pytest.raises(InstanceError, match=message):
        load_instance(path)


def test_match_command_runs_the_file_mode(tmp_path):
    """Through Django's command runner; needs settings but no database."""
    django_settings = pytest.importorskip("django.conf").settings
    if not django_settings.configured:
        pytest.skip("Django settings are not configured in this run")
    from django.core.management import call_command

    instance = generate_instance(200, 20, 3, seed=5)
    instance_path, out_path = tmp_path / "INSTANCE.json", tmp_path / "PROPOSALS.json"
    instance_path.write_text(json.dumps(instance))
    stdout = StringIO()
    call_command("match", instance=str(instance_path), out=str(out_path), stdout=stdout)
    document = json.loads(out_path.read_text())
    check_result(instance, {i["registration"]: i["provider"] for i in document["proposals"]},
                 document["unmatched"])
    printed = stdout.getvalue()
    for word in ("registrations", "proposed", "parse", "engine", "write"):
        assert word in printed
