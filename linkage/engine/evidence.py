"""The evidence for and against a pair, in words a coordinator reads beside the two records."""

from __future__ import annotations

from linkage.engine import compare as c


def _date(value: int) -> str:
    return f"{value // 10_000:04d}-{(value // 100) % 100:02d}-{value % 100:02d}"


def words(row: dict) -> list[str]:
    """`row` is one pair (a row of the scored comparison frame, as a dict): left is the
    local row (or person a), right the registry person."""
    out: list[str] = []
    if row["phn_same"]:
        out.append("PHN matches")
    fl, fr = row["fn_raw_l"], row["fn_raw_r"]
    out.append({
        0: "first name missing",
        c.FN_EXACT: "first name matches",
        c.FN_NICK: f"first name a nickname ({fl} / {fr})",
        c.FN_CLOSE: f"first name similar ({fl} / {fr})",
        c.FN_INITIAL: f"first name an initial ({fl} / {fr})",
        c.FN_SIMILAR: f"first name somewhat similar ({fl} / {fr})",
        c.FN_DIFF: f"first name differs ({fl} / {fr})",
    }[row["fn"]])
    ll, lr = row["ln_raw_l"], row["ln_raw_r"]
    out.append({
        0: "last name missing",
        c.LN_EXACT: "last name matches",
        c.LN_CLOSE: f"last name similar ({ll} / {lr})",
        c.LN_SIMILAR: f"last name somewhat similar ({ll} / {lr})",
        c.LN_DIFF: f"last name differs ({ll} / {lr})",
    }[row["ln"]])
    level = row["dob"]
    if level in (c.DOB_DIGIT, c.DOB_DIFF):  # the two dates, only where the words show them
        dl, dr = _date(row["dob_l"]), _date(row["dob_r"])
        out.append(f"date of birth {'one digit off' if level == c.DOB_DIGIT else 'differs'} ({dl} / {dr})")
    else:
        out.append({0: "date of birth missing", c.DOB_EXACT: "date of birth matches",
                    c.DOB_SWAP: "date of birth day and month swapped"}[level])
    for name, label in (("postal", "postal code"), ("phone", "phone"), ("email", "email"),
                        ("gender", "gender"), ("community", "community")):
        level = row[name]
        if level == c.AGREE:
            out.append(f"{label} matches")
        elif level == c.DIFFER:
            out.append(f"{label} differs")
    return out
