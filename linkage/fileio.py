"""The linkage's file interface (shared/formats/local-waitlist.md): REGISTRY.csv and
LOCAL.csv in, DECISIONS.json out. This is what ``manage.py link`` runs, so what-if runs,
tests and benchmarks exercise the very engine the import uses.

LOCAL.csv is checked as the format says (header names without regard to case or
spaces, any order, unknown columns ignored, UTF-8 with or without a byte-order mark,
CRLF or LF; or the first sheet of an .xlsx): a bad row is reported with its line, column and reason and left out; a
PHN with a bad check digit is a warning on its line and is treated as missing.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from linkage.engine import LinkSettings, link
from registries.phn import phn_error

REGISTRY_COLUMNS = ("person_id", "last_name", "first_name", "date_of_birth", "phn", "gender",
                    "postal_code", "phone", "email", "community")
REGISTRY_REQUIRED = ("person_id", "last_name", "first_name", "date_of_birth", "community")
LOCAL_COLUMNS = ("list_id", "household", "last_name", "first_name", "date_of_birth", "phn",
                 "gender", "postal_code", "phone", "email", "community", "listed_on",
                 "priority_factors")
LOCAL_REQUIRED = ("list_id", "last_name", "first_name", "date_of_birth", "community", "listed_on")
POSTAL_CODE = re.compile(r"^[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z] ?[0-9][ABCEGHJ-NPRSTV-Z][0-9]$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class LinkFileError(ValueError):
    """A file the linkage cannot read at all (no header, a required column missing)."""


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.reason}"


@dataclass
class Checked:
    """The rows that passed the check, and what was wrong with the others."""

    rows: pl.DataFrame
    errors: list[Problem] = field(default_factory=list)  # the row is left out
    warnings: list[Problem] = field(default_factory=list)  # the row is kept


def _cell(value) -> str:
    """A spreadsheet cell as the CSV would have it: dates as YYYY-MM-DD, whole numbers
    without a decimal point (a PHN typed as a number), empty for nothing."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """The first sheet of a spreadsheet: its header, its rows as text, each row's number."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not xlsx
        raise LinkFileError(f"{path.name}: not a spreadsheet this can read ({error})") from None
    try:
        rows = [[_cell(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()
    if not rows:
        raise LinkFileError(f"{path.name}: the first sheet is empty")
    header = [name or f"column {i + 1}" for i, name in enumerate(rows[0])]
    width = len(header)
    kept = [(number, row) for number, row in enumerate(rows[1:], start=2) if any(row)]
    return header, [(row + [""] * width)[:width] for _, row in kept], [number for number, _ in kept]


def _read_csv_records(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """A CSV's header, its records and the line each starts on (a quoted field may hold
    a line break, so records and lines differ). UTF-8 with or without a byte-order mark."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise LinkFileError(f"{path.name}: the file is empty")
            records, lines, last = [], [], reader.line_num
            for record in reader:
                if any(field.strip() for field in record):
                    records.append(record)
                    lines.append(last + 1)
                last = reader.line_num
    except UnicodeDecodeError:
        raise LinkFileError(f"{path.name}: not UTF-8 text") from None
    except csv.Error as error:
        raise LinkFileError(f"{path.name}, line {reader.line_num}: {error}") from None
    return header, records, lines


def _read_local(path: Path) -> tuple[pl.DataFrame, list[int], list[Problem]]:
    """The local list as text columns (LOCAL_COLUMNS), each row's line, and the rows
    whose number of fields is not the header's."""
    header, records, lines = (_read_xlsx(path) if path.suffix.lower() == ".xlsx"
                              else _read_csv_records(path))
    names = [name.strip().lower() for name in header]
    missing = [name for name in LOCAL_REQUIRED if name not in names]
    if missing:
        raise LinkFileError(f"{path.name}: missing column(s) {', '.join(missing)}")
    problems = [Problem(line, "row", f"has {len(r)} fields, the header {len(names)}")
                for r, line in zip(records, lines) if len(r) != len(names)]
    where = {name: names.index(name) for name in LOCAL_COLUMNS if name in names}
    data = {name: [(r[i].strip() if i < len(r) else "") for r in records] if name in where
            else [""] * len(records) for name, i in ((n, where.get(n)) for n in LOCAL_COLUMNS)}
    return pl.DataFrame(data, schema={name: pl.String for name in LOCAL_COLUMNS}), lines, problems


def _read(path: Path, required: tuple[str, ...], columns: tuple[str, ...]) -> pl.DataFrame:
    """The registry export, read by polars (300,000 rows in a fraction of a second)."""
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8", truncate_ragged_lines=False)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as error:
        raise LinkFileError(f"{path.name}: not a CSV file this can read ({error})") from None
    frame = frame.rename({name: name.strip().lstrip("\ufeff").lower() for name in frame.columns})
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise LinkFileError(f"{path.name}: missing column(s) {', '.join(missing)}")
    present = [name for name in columns if name in frame.columns]
    frame = frame.select(present).with_columns(pl.all().fill_null("").str.strip_chars())
    return frame.with_columns(pl.lit("").alias(c) for c in columns if c not in present).select(columns)


def read_registry(path: str | Path) -> pl.DataFrame:
    """REGISTRY.csv as the engine takes it (date_of_birth a date). Any unreadable row is
    an error: the registry is the system's own export, not somebody's spreadsheet."""
    path = Path(path)
    frame = _read(path, REGISTRY_REQUIRED, REGISTRY_COLUMNS)
    dates = frame["date_of_birth"].str.to_date("%Y-%m-%d", strict=False)
    bad = (dates.is_null() | (frame["person_id"] == "")).arg_true()
    if len(bad):
        line = int(bad[0]) + 2
        raise LinkFileError(f"{path.name}, line {line}: person_id and date_of_birth (YYYY-MM-DD) "
                            "are required")
    return frame.with_columns(dates.alias("date_of_birth"))


def _date(value: str) -> dt.date | None:
    if not DATE.match(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def check_local(path: str | Path, *, communities: set[str] | None = None,
                today: dt.date | None = None) -> Checked:
    """LOCAL.csv checked row by row; `communities` (lower-case names) if the registry's
    geography is known, else any non-empty community passes."""
    path = Path(path)
    today = today or dt.date.today()
    frame, lines, ragged = _read_local(path)
    ragged_lines = {p.line for p in ragged}
    errors: list[Problem] = []
    warnings: list[Problem] = []
    keep: list[bool] = []
    phns: list[str] = []
    births: list[dt.date | None] = []
    seen: dict[str, int] = {}
    for line, row in zip(lines, frame.iter_rows(named=True)):
        mine: list[Problem] = [p for p in ragged if p.line == line] if line in ragged_lines else []
        list_id = row["list_id"]
        if not list_id:
            mine.append(Problem(line, "list_id", "is required"))
        elif list_id in seen:
            mine.append(Problem(line, "list_id", f"{list_id} is also on line {seen[list_id]}"))
        else:
            seen[list_id] = line
        for name in ("last_name", "first_name"):
            if not row[name]:
                mine.append(Problem(line, name, "is required"))
        birth = _date(row["date_of_birth"])
        if birth is None:
            mine.append(Problem(line, "date_of_birth", f"{row['date_of_birth']!r} is not a date YYYY-MM-DD"))
        elif birth > today:
            mine.append(Problem(line, "date_of_birth", "is in the future"))
        listed = _date(row["listed_on"])
        if listed is None:
            mine.append(Problem(line, "listed_on", f"{row['listed_on']!r} is not a date YYYY-MM-DD"))
        elif listed > today:
            mine.append(Problem(line, "listed_on", "is in the future"))
        if row["gender"].upper() not in ("", "F", "M", "X"):
            mine.append(Problem(line, "gender", f"{row['gender']!r} is not F, M, X or empty"))
        if row["postal_code"] and not POSTAL_CODE.match(row["postal_code"].upper()):
            mine.append(Problem(line, "postal_code", f"{row['postal_code']!r} is not a Canadian postal code"))
        community = row["community"].lower()
        if not community:
            mine.append(Problem(line, "community", "is required"))
        elif communities is not None and community not in communities:
            mine.append(Problem(line, "community", f"{row['community']!r} is not a community of the registry"))
        phn = row["phn"]
        if phn and phn_error(phn):
            warnings.append(Problem(line, "phn", f"{phn_error(phn)} Treated as missing."))
            phn = ""
        errors.extend(mine)
        keep.append(not mine)
        phns.append(phn)
        births.append(birth)
    rows = frame.with_columns(pl.Series("phn", phns, dtype=pl.String),
                              pl.Series("date_of_birth", births, dtype=pl.Date))
    return Checked(rows=rows.filter(pl.Series(keep, dtype=pl.Boolean)), errors=errors, warnings=warnings)


def run_files(registry: str | Path, local: str | Path, out: str | Path, *,
              communities: set[str] | None = None, settings: LinkSettings | None = None) -> dict:
    """Link the files and write DECISIONS.json; returns the figures plus the problems."""
    started = time.perf_counter()
    people = read_registry(registry)
    checked = check_local(local, communities=communities)
    result = link(people, checked.rows, settings=settings)
    result.figures["seconds"] = round(time.perf_counter() - started, 3)
    Path(out).write_text(json.dumps(result.to_json(), ensure_ascii=False, separators=(",", ":")),
                         encoding="utf-8")
    return {"figures": result.figures, "errors": checked.errors, "warnings": checked.warnings}
