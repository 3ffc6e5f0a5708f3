"""Read and check a local waitlist file (shared/formats/local-waitlist.md). Writes nothing.

CSV (UTF-8, a byte-order mark allowed, CRLF or LF, RFC 4180 quotes) or an .xlsx workbook
(first sheet). Headers are matched without regard to case or surrounding spaces, in any
order; unknown columns are ignored. Every bad row is reported with its line, column and
reason; a row with any error is left out, the others are the good rows. A PHN that fails
its check digit is a warning on its line, and the row goes on as if it had none.

Local lists are tens of thousands of rows: plain Python is fast enough (a 50,000-row file
checks in well under two seconds), and it keeps each rule next to its words.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from patients.priority import FACTOR_WEIGHTS
from registries.phn import normalize_phn, phn_error

REQUIRED = ["list_id", "last_name", "first_name", "date_of_birth", "community", "listed_on"]
OPTIONAL = ["household", "phn", "gender", "postal_code", "phone", "email", "priority_factors"]
COLUMNS = REQUIRED + OPTIONAL
POSTAL_CODE = re.compile(r"^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OLDEST_BIRTH = datetime.date(1900, 1, 1)
XLSX_MAGIC = b"PK\x03\x04"
MAX_LENGTHS = {"list_id": 100, "household": 100, "last_name": 100, "first_name": 100, "email": 254}


@dataclass
class Problem:
    line: int
    column: str
    reason: str
    severity: str = "error"

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "reason": self.reason, "severity": self.severity}


@dataclass
class Row:
    """One good row, normalised: what the import stores and the linkage reads."""

    line: int
    list_id: str
    household: str
    last_name: str
    first_name: str
    date_of_birth: datetime.date
    phn: str
    gender: str
    postal_code: str
    phone: str
    email: str
    community_id: int
    community: str
    listed_on: datetime.date
    priority_factors: list[str]

    @property
    def row_hash(self) -> str:
        """The row's identity across files: the same row in a later file is the same row."""
        parts = [self.list_id, self.household, self.last_name, self.first_name, self.date_of_birth.isoformat(),
                 self.phn, self.gender, self.postal_code, self.phone, self.email, str(self.community_id),
                 self.listed_on.isoformat(), ";".join(self.priority_factors)]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass
class CheckResult:
    rows: list[Row] = field(default_factory=list)
    rows_read: int = 0
    problems: list[Problem] = field(default_factory=list)
    file_errors: list[Problem] = field(default_factory=list)

    @property
    def rows_valid(self) -> int:
        return len(self.rows)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def report(self, *, max_errors: int | None = None) -> dict:
        errors, warnings = self.errors, self.warnings
        cut = (lambda items: items) if max_errors is None else (lambda items: items[:max_errors])
        return {
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "rows_bad": self.rows_read - self.rows_valid,
            "error_count": len(errors),
            "errors": [p.as_dict() for p in cut(errors)],
            "warning_count": len(warnings),
            "warnings": [p.as_dict() for p in cut(warnings)],
            "file_errors": [p.as_dict() for p in self.file_errors],
        }

    def frame(self):
        """The good rows as the linkage engine's `local` DataFrame."""
        import polars as pl

        return pl.DataFrame(
            {
                "list_id": [r.list_id for r in self.rows],
                "household": [r.household for r in self.rows],
                "last_name": [r.last_name for r in self.rows],
                "first_name": [r.first_name for r in self.rows],
                "date_of_birth": [r.date_of_birth for r in self.rows],
                "phn": [r.phn for r in self.rows],
                "gender": [r.gender for r in self.rows],
                "postal_code": [r.postal_code for r in self.rows],
                "phone": [r.phone for r in self.rows],
                "email": [r.email for r in self.rows],
                "community": [r.community for r in self.rows],
                "listed_on": [r.listed_on for r in self.rows],
                "priority_factors": [";".join(r.priority_factors) for r in self.rows],
            },
            schema={"list_id": pl.String, "household": pl.String, "last_name": pl.String, "first_name": pl.String,
                    "date_of_birth": pl.Date, "phn": pl.String, "gender": pl.String, "postal_code": pl.String,
                    "phone": pl.String, "email": pl.String, "community": pl.String, "listed_on": pl.Date,
                    "priority_factors": pl.String},
        )


@dataclass(frozen=True)
class Community:
    id: int
    name: str
    division_id: int
    division: str


# --- reading ---------------------------------------------------------------------------

def _records(data: bytes, file_name: str, result: CheckResult):
    """(first line of the record, [fields]) for each record of the file, the header first."""
    if data.startswith(XLSX_MAGIC) or file_name.lower().endswith(".xlsx"):
        yield from _xlsx_records(data, result)
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        result.file_errors.append(Problem(line, "", "The file is not UTF-8 text; save it as CSV UTF-8 and try again."))
        return
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for fields in reader:
            yield start, fields
            start = reader.line_num + 1
    except csv.Error as exc:
        result.file_errors.append(Problem(reader.line_num, "", f"The file cannot be read as CSV here: {exc}."))


def _xlsx_records(data: bytes, result: CheckResult):
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        result.file_errors.append(Problem(1, "", "The file is not a readable .xlsx workbook."))
        return
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in values]
    finally:
        book.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a PHN or a phone number the spreadsheet took for a number
    return str(value)


# --- checking --------------------------------------------------------------------------

def _date(value: str) -> datetime.date | str:
    """The date, or why `value` is not one."""
    if not DATE.match(value):
        return f"“{value}” is not a date written YYYY-MM-DD."
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return f"“{value}” is not a day of the calendar."


def check(data: bytes, *, communities: dict[str, Community], division_id: int | None, today: datetime.date,
          file_name: str = "") -> CheckResult:
    """Check the whole file. `communities` maps a lower-cased community name to the registry's;
    a row of a community outside `division_id` is refused (a coordinator imports into their own)."""
    result = CheckResult()
    records = _records(data, file_name, result)
    header = None
    for line, fields in records:
        if not any(f.strip() for f in fields):
            continue  # blank lines (and a spreadsheet's empty rows) are not rows
        if header is None:
            header = _header(line, fields, result)
            if header is None:
                return result
            continue
        result.rows_read += 1
        row = _check_row(line, fields, header, communities, division_id, today, result)
        if row is not None:
            result.rows.append(row)
    if header is None and not result.file_errors:
        result.file_errors.append(Problem(1, "", "The file is empty: it needs a header row and one row per person."))
    _unique_list_ids(result)
    return result


def _header(line: int, fields: list[str], result: CheckResult) -> dict[str, int] | None:
    index: dict[str, int] = {}
    for i, name in enumerate(fields):
        key = name.strip().lower()
        if key in COLUMNS:
            if key in index:
                result.file_errors.append(Problem(line, key, f"The column {key} appears twice in the header."))
            index[key] = i
    missing = [c for c in REQUIRED if c not in index]
    if missing:
        result.file_errors.append(Problem(
            line, ", ".join(missing),
            f"The header lacks the required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(found: {', '.join(f.strip() for f in fields) or 'nothing'}).",
        ))
    if result.file_errors:
        return None
    index["__width__"] = len(fields)
    return index


def _check_row(line, fields, header, communities, division_id, today, result) -> Row | None:
    problems: list[Problem] = []

    def bad(column, reason, severity="error"):
        problems.append(Problem(line, column, reason, severity))

    width = header["__width__"]
    if len(fields) > width and any(f.strip() for f in fields[width:]):
        bad("", f"This row has {len(fields)} fields and the header {width}: a comma inside a value "
                "needs the value in double quotes.")
    value = {c: (fields[i].strip() if i < len(fields) else "") for c, i in header.items() if c != "__width__"}
    for c in OPTIONAL:
        value.setdefault(c, "")

    for c in ("list_id", "last_name", "first_name"):
        if not value[c]:
            bad(c, f"{c} is required.")
        elif len(value[c]) > MAX_LENGTHS[c]:
            bad(c, f"{c} is longer than {MAX_LENGTHS[c]} characters.")
    if len(value["household"]) > MAX_LENGTHS["household"]:
        bad("household", f"household is longer than {MAX_LENGTHS['household']} characters.")

    born = None
    if not value["date_of_birth"]:
        bad("date_of_birth", "date_of_birth is required (YYYY-MM-DD).")
    else:
        born = _date(value["date_of_birth"])
        if isinstance(born, str):
            bad("date_of_birth", born)
            born = None
        elif born > today:
            bad("date_of_birth", f"The date of birth {born} is in the future.")
        elif born < OLDEST_BIRTH:
            bad("date_of_birth", f"The date of birth {born} is before 1900.")

    listed = None
    if not value["listed_on"]:
        bad("listed_on", "listed_on is required (YYYY-MM-DD): the day the person joined the local list.")
    else:
        listed = _date(value["listed_on"])
        if isinstance(listed, str):
            bad("listed_on", listed)
            listed = None
        elif listed > today:
            bad("listed_on", f"listed_on {listed} is in the future.")
        elif born is not None and listed < born:
            # A household's date put on a child born since: kept (the household's place), but said.
            bad("listed_on", f"listed_on {listed} is before the date of birth {born} (the household's date, kept).",
                severity="warning")

    phn = normalize_phn(value["phn"])
    if phn:
        reason = phn_error(phn)
        if reason:
            bad("phn", f"{reason} The row is imported without a PHN.", severity="warning")
            phn = ""

    gender = value["gender"].upper()
    if gender not in ("", "F", "M", "X"):
        bad("gender", f"gender is F, M, X or empty, not “{value['gender']}”.")

    postal = value["postal_code"].upper()
    if postal and not POSTAL_CODE.match(postal):
        bad("postal_code", f"“{value['postal_code']}” is not a Canadian postal code (A1A 1A1).")
    postal = postal.replace(" ", "")

    phone = value["phone"]
    digits = re.sub(r"\D", "", phone)
    if phone and not (len(digits) == 10 or (len(digits) == 11 and digits[0] == "1")):
        bad("phone", f"“{phone}” is not a phone number of 10 digits.")
    if len(phone) > 30:
        bad("phone", "phone is longer than 30 characters.")

    email = value["email"].lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            bad("email", f"“{value['email']}” is not an email address.")

    community = None
    if not value["community"]:
        bad("community", "community is required.")
    else:
        community = communities.get(value["community"].lower())
        if community is None:
            bad("community", f"“{value['community']}” is not a community the registry knows.")
        elif division_id is not None and community.division_id != division_id:
            bad("community", f"{community.name} is in the {community.division} division, not this import's.")

    factors = [f.strip().lower() for f in value["priority_factors"].split(";") if f.strip()]
    unknown = [f for f in factors if f not in FACTOR_WEIGHTS]
    if unknown:
        bad("priority_factors", f"Unknown priority factor{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                                f"(known: {', '.join(FACTOR_WEIGHTS)}).")

    result.problems.extend(problems)
    if any(p.severity == "error" for p in problems):
        return None
    return Row(line=line, list_id=value["list_id"], household=value["household"], last_name=value["last_name"],
               first_name=value["first_name"], date_of_birth=born, phn=phn, gender=gender, postal_code=postal,
               phone=phone, email=email, community_id=community.id, community=community.name, listed_on=listed,
               priority_factors=list(dict.fromkeys(factors)))


def _unique_list_ids(result: CheckResult) -> None:
    """list_id is the row's key: a second row with the same one is refused (the first is kept)."""
    seen: dict[str, int] = {}
    kept = []
    for row in result.rows:
        first = seen.setdefault(row.list_id, row.line)
        if first != row.line:
            result.problems.append(Problem(row.line, "list_id", f"list_id {row.list_id} is already on line {first}."))
        else:
            kept.append(row)
    result.rows = kept
    result.problems.sort(key=lambda p: (p.line, COLUMNS.index(p.column) if p.column in COLUMNS else -1))
