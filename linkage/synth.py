"""A synthetic registry and local waitlist with known truth, for the tests and the benchmark.

`generate(registry_size, local_size, seed)` makes a province of households (a surname,
a home: postal code, phone, community; adults and children; some twins; some sons
named for their fathers), the registry's people from them, and a local list of rows
that are, in known shares:
- people the registry has, copied with the noise local lists carry: typos, nicknames
  (Bill for William), day and month swapped, one digit off, missing PHNs and PHNs with
  a bad check digit, changed phones and addresses, missing fields, other spellings;
- people it does not have, among them the hard ones: the twin of somebody it has (same
  surname, birth date, home and phone, another first name), a parent or child with the
  same name and home, namesakes (same common name, another person: Singh, Kaur, Wong, Lee);
- the same person listed twice in the file (in-file duplicates).
`truth` says who each row is. Same arguments, same output (random.Random(seed)).
"""

from __future__ import annotations

import datetime as dt
import random
import string
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import polars as pl
from rapidfuzz.distance import OSA

from linkage.engine.nicknames import are_nicknames, formal_forms
from registries.geography_data import iter_geography

# Roughly BC's most common surnames, weighted (per 1,000 people); the rest come from a
# long tail of made-up but pronounceable names.
COMMON_SURNAMES = {
    "SINGH": 22, "KAUR": 10, "LEE": 12, "WONG": 10, "CHEN": 10, "WANG": 8, "LI": 7, "LIU": 6,
    "ZHANG": 6, "SMITH": 9, "BROWN": 6, "WILSON": 5, "TAYLOR": 5, "JOHNSON": 5, "MARTIN": 5,
    "ANDERSON": 4, "THOMPSON": 4, "CAMPBELL": 4, "MACDONALD": 4, "STEWART": 3, "ROBERTSON": 3,
    "NGUYEN": 6, "TRAN": 4, "LE": 3, "PHAM": 2, "KIM": 6, "PARK": 3, "CHOI": 2, "GILL": 6,
    "SIDHU": 5, "SANDHU": 5, "DHALIWAL": 4, "GREWAL": 4, "SANGHA": 3, "BRAR": 3, "PATEL": 5,
    "SHARMA": 3, "CHAN": 7, "LAM": 5, "CHOW": 3, "HUANG": 4, "YANG": 3, "WU": 3, "LAU": 3,
    "WHITE": 3, "CLARK": 3, "YOUNG": 3, "WALKER": 3, "HALL": 3, "MILLER": 3, "DAVIS": 3,
    "GARCIA": 2, "SANTOS": 2, "REYES": 2, "CRUZ": 2, "MUELLER": 1, "ROSSI": 1, "JONES": 4,
}
TAIL_SHARE = 0.55  # share of households whose surname is from the long tail
MALE_NAMES = (
    "WILLIAM ROBERT RICHARD JAMES JOHN MICHAEL JOSEPH THOMAS CHRISTOPHER DANIEL DAVID MATTHEW "
    "ANTHONY EDWARD ALEXANDER ANDREW NICHOLAS BENJAMIN SAMUEL STEVEN CHARLES GEORGE HENRY PETER "
    "PATRICK TIMOTHY KENNETH RONALD DONALD GREGORY JEFFREY JOSHUA ZACHARY NATHAN LIAM NOAH ETHAN "
    "LUCAS OWEN JACOB RYAN KEVIN BRIAN JASON ERIC ADAM MARK PAUL SCOTT HARPREET GURPREET MANPREET "
    "JASPREET AMANDEEP NAVDEEP RAJINDER SUKHWINDER HARJIT KULDEEP BALJIT JUN WEI MING HAO YI "
    "JIAN MINH DUC HUNG TUAN MINHO JISOO HYUN ARJUN RAHUL VIKRAM CARLOS JOSE MIGUEL LUIS"
).split()
FEMALE_NAMES = (
    "MARY PATRICIA JENNIFER ELIZABETH MARGARET SUSAN DEBORAH REBECCA VICTORIA JESSICA SARAH "
    "KATHERINE CATHERINE LINDA BARBARA NANCY KAREN LISA SANDRA EMILY EMMA OLIVIA SOPHIA "
    "ISABELLA AVA MIA CHARLOTTE AMELIA HARPER ABIGAIL ELLA CHLOE GRACE HANNAH ZOE NATALIE "
    "SAMANTHA AMANDA MICHELLE LAURA RACHEL NICOLE JULIA ALEXANDRA ANNA GURPREET HARPREET "
    "MANPREET JASPREET AMANDEEP NAVDEEP SIMRAN JASMINE RAJVIR MEI LING YAN XIN HUI FANG LAN "
    "THUY LINH HOA JIYEON MINJI SOOJIN PRIYA ANJALI DIVYA MARIA ANA ROSA CARMEN LUCIA"
).split()
EMAIL_DOMAINS = ("gmail.com", "hotmail.com", "outlook.com", "shaw.ca", "telus.net", "yahoo.ca")
AREA_CODES = ("604", "778", "250", "236", "672")
KEYBOARD = {ch: near for row in ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")
            for i, ch in enumerate(row) for near in [row[max(i - 1, 0):i] + row[i + 1:i + 2]]}

# The local list's mix (shares of its rows).
SHARE_KNOWN = 0.68      # people the registry has
SHARE_TWIN = 0.02       # the twin of somebody the registry has
SHARE_NAMESAKE_GEN = 0.015  # a parent or child with the same name and home
SHARE_NAMESAKE = 0.035  # the same common name, another person
SHARE_DUPLICATE = 0.05  # a row listed again later in the file
# (the rest: plain new people)


@dataclass
class Synthetic:
    registry: pl.DataFrame  # the REGISTRY.csv columns
    local: pl.DataFrame     # the LOCAL.csv columns, as a local list would have them
    truth: pl.DataFrame     # list_id, person (a registry person_id or N…), kind, in_registry

    def write(self, directory: str | Path) -> tuple[Path, Path, Path]:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = directory / "REGISTRY.csv", directory / "LOCAL.csv", directory / "TRUTH.csv"
        self.registry.with_columns(pl.col("date_of_birth").cast(pl.String)).write_csv(paths[0])
        self.local.write_csv(paths[1])
        self.truth.write_csv(paths[2])
        return paths


def _check_digit(body: str) -> int | None:
    remainder = sum(int(d) * w for d, w in zip(body, (2, 4, 8, 5, 10, 9, 7, 3))) % 11
    return None if remainder < 2 else 11 - remainder


class _World:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.communities = [row[-1] for row in iter_geography()]
        self.surnames = list(COMMON_SURNAMES)
        self.surname_cum = list(accumulate(COMMON_SURNAMES.values()))
        self.tail = self._tail_surnames(30_000)
        self.phn_serial = self.rng.randrange(10_000_000)
        self.used_phns: set[str] = set()
        self.person_seq = 0

    def _tail_surnames(self, n: int) -> list[str]:
        onsets = "B BR C CH D DR F G GR H J K KR L M N P PR R S SCH ST T TR V W Z".split()
        vowels = "A E I O U AI EA OU IE".split()
        codas = "N L R S T CK NN LL RT ND NS SKI SON MAN BERG FIELD WOOD LEY TON".split()
        names: set[str] = set()
        while len(names) < n:
            parts = [self.rng.choice(onsets) + self.rng.choice(vowels)
                     for _ in range(self.rng.choice((1, 2, 2, 3)))]
            names.add("".join(parts) + self.rng.choice(codas))
        return sorted(names)

    def surname(self) -> str:
        if self.rng.random() < TAIL_SHARE:
            return self.rng.choice(self.tail)
        return self.rng.choices(self.surnames, cum_weights=self.surname_cum)[0]

    def first_name(self, gender: str) -> str:
        pool = FEMALE_NAMES if gender == "F" else MALE_NAMES if gender == "M" else \
            self.rng.choice((FEMALE_NAMES, MALE_NAMES))
        if self.rng.random() < 0.12:  # a name of the long tail
            return self.rng.choice(self.tail)[:7].rstrip("AEIOU") + self.rng.choice("AEIOY")
        return self.rng.choice(pool)

    def phn(self) -> str:
        while True:
            self.phn_serial = (self.phn_serial + self.rng.randrange(1, 400)) % 100_000_000
            body = f"{self.phn_serial:08d}"
            check = _check_digit(body)
            if check is not None:
                phn = f"9{body}{check}"
                if phn not in self.used_phns:
                    self.used_phns.add(phn)
                    return phn

    def postal(self) -> str:
        letters = "ABCEGHJKLMNPRSTVWXYZ"
        return (f"V{self.rng.randrange(10)}{self.rng.choice(letters)} "
                f"{self.rng.randrange(10)}{self.rng.choice(letters)}{self.rng.randrange(10)}")

    def phone(self) -> str:
        return f"{self.rng.choice(AREA_CODES)}{self.rng.randrange(200, 1000)}{self.rng.randrange(10_000):04d}"

    def birth(self, low: int, high: int) -> dt.date:
        """A birth date between `low` and `high` years ago."""
        today = dt.date(2026, 6, 1)
        days = self.rng.randrange(int(low * 365.25), int(high * 365.25) + 1)
        return today - dt.timedelta(days=days)

    def person(self, **fields) -> dict:
        self.person_seq += 1
        gender = fields.pop("gender", None) or self.rng.choice("FM")
        out = {"gender": gender, "first_name": self.first_name(gender)}
        out.update(fields)
        return out

    def twin_of(self, sibling: dict, family: list[dict] | None = None) -> dict:
        """Same surname, birth date and home; another first name, as parents name twins:
        not the sibling's own, nor a nickname of it, nor a letter away from it."""
        twin = self.person(last_name=sibling["last_name"], date_of_birth=sibling["date_of_birth"],
                           postal_code=sibling["postal_code"], phone=sibling["phone"],
                           community=sibling["community"])
        # Not the name of any other child born that day either (the sibling may be a twin).
        taken = [m["first_name"] for m in (family or sibling.get("family") or [sibling])
                 if m["date_of_birth"] == sibling["date_of_birth"]]
        while any(twin["first_name"] == mine or are_nicknames(twin["first_name"], mine)
                  or OSA.distance(twin["first_name"], mine) <= 1 for mine in taken):
            twin["first_name"] = self.first_name(twin["gender"])
        return twin

    def household(self) -> list[dict]:
        """One household: a home, one or two adults, children; some twins, some juniors."""
        rng = self.rng
        surname = self.surname()
        home = {"postal_code": self.postal(), "phone": self.phone(),
                "community": rng.choice(self.communities)}
        size = rng.choices((1, 2, 3, 4, 5, 6), weights=(30, 30, 15, 15, 7, 3))[0]
        first = self.person(last_name=surname, date_of_birth=self.birth(20, 90), **home)
        members = [first]
        if size >= 2:
            partner_gender = "M" if first["gender"] == "F" else "F"
            members.append(self.person(
                gender=partner_gender, last_name=surname if rng.random() < 0.7 else self.surname(),
                date_of_birth=first["date_of_birth"] + dt.timedelta(days=rng.randrange(-2500, 2500)),
                **home))
        parent_age = (dt.date(2026, 6, 1) - first["date_of_birth"]).days / 365.25
        youngest = max(parent_age - 45, 0)
        oldest = max(parent_age - 18, youngest + 1)
        for _ in range(size - len(members)):
            if len(members) >= 3 and rng.random() < 0.08:  # twins: the last child's birth date
                members.append(self.twin_of(members[-1], members))
                continue
            child = self.person(last_name=surname, date_of_birth=self.birth(int(youngest), int(oldest)), **home)
            if first["gender"] == child["gender"] == "M" and rng.random() < 0.10:
                child["first_name"] = first["first_name"]  # a son named for his father
            members.append(child)
        for member in members:
            member["family"] = members
            member["phn"] = self.phn() if rng.random() < 0.95 else ""
            if rng.random() < 0.4 and (dt.date(2026, 6, 1) - member["date_of_birth"]).days > 16 * 365:
                member["phone"] = self.phone()  # their own mobile
            member["email"] = (f"{member['first_name'].lower()}.{member['last_name'].lower()}"
                               f"{rng.randrange(100)}@{rng.choice(EMAIL_DOMAINS)}"
                               if rng.random() < 0.4 else "")
        return members


# Noise --------------------------------------------------------------------------------

def _typo(rng: random.Random, name: str) -> str:
    if len(name) < 3:
        return name + rng.choice("AEIOU")
    for _ in range(10):
        i = rng.randrange(1, len(name))  # people rarely get the first letter wrong
        kind = rng.random()
        if kind < 0.35:
            near = KEYBOARD.get(name[i]) or string.ascii_uppercase
            out = name[:i] + rng.choice(near) + name[i + 1:]
        elif kind < 0.6:
            out = name[:i] + name[i + 1:]
        elif kind < 0.8:
            out = name[:i] + name[i - 1] + name[i:]  # a doubled letter
        else:
            out = name[:i - 1] + name[i] + name[i - 1] + name[i + 1:]
        if out != name:
            return out
    return name + "E"


def _digit_off(rng: random.Random, date: dt.date) -> dt.date:
    text = date.strftime("%Y%m%d")
    for _ in range(50):
        i = rng.choice((3, 5, 6, 7, 7))  # last digit of the year, the month, the day
        out = text[:i] + str(rng.randrange(10)) + text[i + 1:]
        try:
            new = dt.date(int(out[:4]), int(out[4:6]), int(out[6:]))
        except ValueError:
            continue
        if new != date and new <= dt.date(2026, 6, 1):
            return new
    return date + dt.timedelta(days=1)


def _bad_phn(rng: random.Random, phn: str) -> str:
    while True:
        i = rng.randrange(1, 10)
        out = phn[:i] + str(rng.randrange(10)) + phn[i + 1:]
        check = _check_digit(out[1:9])
        if out != phn and check != int(out[9]):
            return out


def _write_phone(rng: random.Random, digits: str) -> str:
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return rng.choice((f"{a}-{b}-{c}", f"({a}) {b}-{c}", f"{a}.{b}.{c}", f"{a}{b}{c}",
                       f"+1 {a} {b} {c}", f"1-{a}-{b}-{c}"))


def _case(rng: random.Random, name: str) -> str:
    r = rng.random()
    return name if r < 0.3 else name.title() if r < 0.95 else name.lower()


def _noisy(world: _World, p: dict, kinds: list[str]) -> dict:
    """A local list's row for person `p`: the same person, written down by somebody else."""
    rng = world.rng
    first, last, birth = p["first_name"], p["last_name"], p["date_of_birth"]
    r = rng.random()
    if r < 0.08 and formal_forms(first):
        first = rng.choice(formal_forms(first))
        kinds.append("nickname")
    elif r < 0.14:
        first = _typo(rng, first)
        kinds.append("first name typo")
    if rng.random() < 0.05:
        last = _typo(rng, last)
        kinds.append("last name typo")
    r = rng.random()
    if (r < 0.03 and birth.day <= 12 and birth.day != birth.month
            and dt.date(birth.year, birth.day, birth.month) <= dt.date(2026, 6, 1)):
        birth = dt.date(birth.year, birth.day, birth.month)
        kinds.append("day and month swapped")
    elif r < 0.055:
        birth = _digit_off(rng, birth)
        kinds.append("birth date one digit off")
    phn = ""
    if p["phn"] and rng.random() < 0.30:
        phn = p["phn"]
        if rng.random() < 0.05:
            phn = _bad_phn(rng, phn)
            kinds.append("bad check digit")
    postal, community = p["postal_code"], p["community"]
    r = rng.random()
    if r < 0.12:
        postal = world.postal()
        kinds.append("moved")
        if rng.random() < 0.3:
            community = rng.choice(world.communities)
    elif r < 0.2:
        postal = ""
    elif rng.random() < 0.5:
        postal = postal.replace(" ", "")
    phone = p["phone"]
    r = rng.random()
    if r < 0.15:
        phone = world.phone()
        kinds.append("phone changed")
    elif r < 0.25:
        phone = ""
    email = p["email"] if rng.random() < 0.6 else ""
    if email and rng.random() < 0.1:
        email = f"{first.lower()}{rng.randrange(1000)}@{rng.choice(EMAIL_DOMAINS)}"
    return {
        "last_name": _case(rng, last), "first_name": _case(rng, first),
        "date_of_birth": birth.isoformat(), "phn": phn,
        "gender": p["gender"] if rng.random() > 0.08 else "",
        "postal_code": postal, "phone": _write_phone(rng, phone) if phone else "",
        "email": email, "community": community if rng.random() < 0.8 else community.upper(),
    }


def generate(registry_size: int = 300_000, local_size: int = 50_000, seed: int = 14) -> Synthetic:
    world = _World(seed)
    rng = world.rng
    people: list[dict] = []
    households: list[list[dict]] = []
    while len(people) < registry_size:
        members = world.household()
        households.append(members)
        people.extend(members)
    people = people[:registry_size]
    for number, person in enumerate(people, start=1):
        person["person_id"] = f"P{number}"
    registry = pl.DataFrame([{
        "person_id": p["person_id"], "last_name": p["last_name"].title(),
        "first_name": p["first_name"].title(), "date_of_birth": p["date_of_birth"],
        "phn": p["phn"], "gender": p["gender"] if rng.random() > 0.03 else "",
        "postal_code": p["postal_code"], "phone": p["phone"], "email": p["email"],
        "community": p["community"]} for p in people], schema_overrides={"date_of_birth": pl.Date})

    n_dup = int(local_size * SHARE_DUPLICATE)
    n_base = local_size - n_dup
    counts = {"twin": int(local_size * SHARE_TWIN), "same name in the home": int(local_size * SHARE_NAMESAKE_GEN),
              "namesake": int(local_size * SHARE_NAMESAKE)}
    n_known = int(local_size * SHARE_KNOWN)
    known = rng.sample(people, n_known)
    base: list[tuple[dict, str, bool]] = [(p, p["person_id"], True) for p in known]
    new_seq = 0

    def new_id() -> str:
        nonlocal new_seq
        new_seq += 1
        return f"N{new_seq}"

    # The hard new people: each is made from a registry person they are not.
    sample = rng.sample(people, sum(counts.values()) * 2)
    common = [p for p in people[:60_000] if p["last_name"] in COMMON_SURNAMES]
    for kind, n in counts.items():
        for _ in range(n):
            model = sample.pop()
            if kind == "twin":
                other = world.twin_of(model)
            elif kind == "same name in the home":
                shift = dt.timedelta(days=rng.randrange(20 * 365, 40 * 365))
                older = model["date_of_birth"] - shift
                younger = model["date_of_birth"] + shift
                birth = younger if younger <= dt.date(2026, 1, 1) else older
                other = world.person(gender=model["gender"], last_name=model["last_name"],
                                     date_of_birth=birth, postal_code=model["postal_code"],
                                     phone=model["phone"], community=model["community"])
                other["first_name"] = model["first_name"]
            else:
                model = rng.choice(common)
                home = world.household()[0]
                other = world.person(gender=model["gender"], last_name=model["last_name"],
                                     date_of_birth=world.birth(0, 90),
                                     postal_code=home["postal_code"], phone=home["phone"],
                                     community=model["community"] if rng.random() < 0.5 else home["community"])
                other["first_name"] = model["first_name"]
            other["phn"] = world.phn() if rng.random() < 0.2 else ""
            other["email"] = ""
            base.append((other, new_id(), False))
            base[-1][0]["kind"] = kind
    households = 0
    while len(base) < n_base:
        households += 1
        members = world.household()
        for member in members:
            if len(base) < n_base:
                member["phn"] = member["phn"] if rng.random() < 0.2 else ""
                # A household the local list knows as one registers together.
                member["household"] = f"H{households}" if len(members) > 1 else ""
                base.append((member, new_id(), False))
    rng.shuffle(base)
    # Listed again: a copy of an earlier row, placed somewhere after it.
    rows = list(base)
    for _ in range(n_dup):
        i = rng.randrange(len(rows))
        j = rng.randrange(i + 1, len(rows) + 1)
        rows.insert(j, rows[i])
    local_rows, truth_rows = [], []
    seen: set[str] = set()
    for number, (person, key, in_registry) in enumerate(rows, start=1):
        kinds = [person.get("kind", "known" if in_registry else "new")]
        if key in seen:
            kinds.append("listed again")
        seen.add(key)
        row = {"list_id": f"L{number}", "household": person.get("household", "")} | \
            _noisy(world, person, kinds) | {
            "listed_on": (dt.date(2025, 12, 1) - dt.timedelta(days=rng.randrange(2000))).isoformat(),
            "priority_factors": ""}
        local_rows.append(row)
        truth_rows.append({"list_id": row["list_id"], "person": key, "in_registry": in_registry,
                           "kind": "; ".join(kinds)})
    local = pl.DataFrame(local_rows)
    truth = pl.DataFrame(truth_rows)
    return Synthetic(registry=registry, local=local, truth=truth)


# Measuring decisions against the truth ---------------------------------------------

def measure(decisions: list[dict], truth: pl.DataFrame) -> dict:
    """The benchmark's figures for DECISIONS.json entries against `truth`.

    A `duplicate` row counts as what its earliest row was decided (it is that person).
    A wrong merge is a row joined to somebody it is not: a merge into the wrong
    registry person, a new person merged into anybody, or a duplicate of another
    person's row."""
    who = dict(zip(truth["list_id"].to_list(), truth["person"].to_list()))
    known = dict(zip(truth["list_id"].to_list(), truth["in_registry"].to_list()))
    by_id = {d["list_id"]: d for d in decisions}
    order = [d["list_id"] for d in decisions]
    first_row: dict[str, str] = {}
    for list_id in order:
        first_row.setdefault(who[list_id], list_id)

    def settled(d: dict) -> dict:
        seen = set()
        while d["decision"] == "duplicate" and d["list_id"] not in seen:
            seen.add(d["list_id"])
            d = by_id[d["same_as"]]
        return d

    wrong = wrong_duplicates = merged = found = reviewed = 0
    dups_true = dups_found = 0
    n_known = 0
    for list_id in order:
        d = by_id[list_id]
        person = who[list_id]
        if d["decision"] == "duplicate" and who[d["same_as"]] != person:
            wrong_duplicates += 1
        final = settled(d)
        if final["decision"] == "merge" and final["person"] != person:
            wrong += 1
        if d["decision"] == "review":
            reviewed += 1
        if first_row[person] != list_id:
            dups_true += 1
            if d["decision"] == "duplicate" and who[d["same_as"]] == person:
                dups_found += 1
        if known[list_id]:
            n_known += 1
            if final["decision"] == "merge" and final["person"] == person:
                merged += 1
                found += 1
            elif final["decision"] == "review" and any(c["person"] == person for c in final["candidates"]):
                found += 1
    rows = max(len(order), 1)
    return {
        "rows": len(order), "known": n_known,
        "wrong_merges": wrong + wrong_duplicates, "wrong_registry_merges": wrong,
        "wrong_duplicates": wrong_duplicates,
        "merged_outright": merged / max(n_known, 1), "found": found / max(n_known, 1),
        "review_share": reviewed / rows, "duplicates_found": dups_found / max(dups_true, 1),
        "duplicates_true": dups_true,
    }
