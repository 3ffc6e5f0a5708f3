"""The panel upload file: one parser and validator.

The format: CSV in UTF-8 (a byte-order mark allowed), one header row whose names match
without regard to case or surrounding spaces, columns in any order, unknown ones ignored;
phn, last_name, first_name and date_of_birth (YYYY-MM-DD) required, gender (F, M, X),
postal_code and last_visit (YYYY-MM-DD, not in the future) optional.

Used by the upload page, the Celery load task and `manage.py load_panel`, so all three
accept and refuse exactly the same rows.

The whole file is read before anything is written. Every bad row is reported with the
line number it starts on (a quoted field may span lines), the column and the reason.
Valid rows come back as a polars DataFrame of normalised strings, ready to be streamed
into PostgreSQL with COPY: a 1,000,000-row file must not build a million Python objects.
A clean file in the spec's own layout is checked column-wise by polars (Rust, all cores);
any other file is read row by row here, which finds and words every error.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
from dataclasses import dataclass, field

import polars as pl

from registries.phn import normalize_phn, phn_error

REQUIRED_COLUMNS = ("phn", "last_name", "first_name", "date_of_birth")
OPTIONAL_COLUMNS = ("gender", "postal_code", "last_visit")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
NAME_MAX = 100  # patients.Patient.first_name / last_name
# A field longer than this is not a value of any column (an export that lost its quotes, a
# pasted blob): the row is reported "too long" without judging what is in it.
FIELD_MAX = 1_000
# Python's csv stops a whole file at a field over 131,072 characters (its default limit), so
# every row after it would be neither reported nor loadable. The limit is lifted for the
# process (it is global) and a long field is reported on its own row (FIELD_MAX) instead.
csv.field_size_limit(2**31 - 1)

# Canadian postal code: no D, F, I, O, Q, U anywhere; no W or Z as the first letter.
POSTAL_RE = re.compile(r"^([ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z]) ?([0-9][ABCEGHJ-NPRSTV-Z][0-9])$")
# Line breaks, tabs and other control characters in a name are export debris, and would not survive COPY.
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
ISO_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
GENDERS = {"": "", "F": "F", "M": "M", "X": "X"}

# Index of each field in a valid row tuple (the COPY column order of the staging table).
LINE, PHN, LAST_NAME, FIRST_NAME, DATE_OF_BIRTH, GENDER, POSTAL_CODE, LAST_VISIT = range(8)


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "reason": self.reason}


# The valid rows: one column per field of a row tuple, in the COPY column order of the staging table.
FRAME_SCHEMA = {"line": pl.Int64, **{column: pl.String for column in COLUMNS}}


def rows_frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=FRAME_SCHEMA, orient="row")


@dataclass
class CheckResult:
    rows_read: int = 0
    errors: list[RowError] = field(default_factory=list)
    # Problems with the file as a whole (not UTF-8, a required column missing): nothing can load.
    file_errors: list[RowError] = field(default_factory=list)
    frame: pl.DataFrame = field(default_factory=lambda: rows_frame([]), repr=False)

    @property
    def rows(self) -> list[tuple]:
        """The valid rows as tuples (LINE, PHN, ...): for small files and tests; the load streams `copy_csv`."""
        return self.frame.rows()

    @property
    def rows_valid(self) -> int:
        return self.frame.height

    @property
    def bad_lines(self) -> int:
        return self.rows_read - self.rows_valid

    @property
    def all_errors(self) -> list[RowError]:
        return self.file_errors + self.errors

    def copy_csv(self) -> bytes:
        """The valid rows as CSV for `COPY ... (FORMAT csv)`; an empty gender, postal code or last visit becomes NULL."""
        nulls = [pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in OPTIONAL_COLUMNS]
        return self.frame.with_columns(nulls).write_csv(include_header=False).encode()

    def identity_csv(self) -> bytes:
        """Line, PHN, names and date of birth of each valid row, as CSV: all that comparing the
        file with the registry needs (who is known, on which panel, named as the registry names them)."""
        return (self.frame.select("line", "phn", "last_name", "first_name", "date_of_birth")
                .write_csv(include_header=False).encode())

    def report(self, *, max_errors: int | None = None) -> dict:
        errors = self.all_errors
        shown = errors if max_errors is None else errors[:max_errors]
        return {
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "rows_bad": self.bad_lines,
            "error_count": len(errors),
            "errors": [e.as_dict() for e in shown],
            "file_errors": [e.as_dict() for e in self.file_errors],
        }


# The weights of PHN digits 2 to 9; a digit's code point is 48 more than its value.
_PHN_OFFSET = 48 * (2 + 4 + 8 + 5 + 10 + 9 + 7 + 3)


def phn_is_valid(phn: str) -> bool:
    """registries.phn's rule, unrolled on the code points: the hot path of a million-row file.

    Failures go to phn_error for the words.
    """
    if len(phn) != 10 or phn[0] != "9" or not phn.isdigit() or not phn.isascii():
        return False
    d = phn.encode()
    remainder = (d[1] * 2 + d[2] * 4 + d[3] * 8 + d[4] * 5 + d[5] * 10 + d[6] * 9 + d[7] * 7 + d[8] * 3
                 - _PHN_OFFSET) % 11
    return remainder >= 2 and 11 - remainder == d[9] - 48


def _name_error(value: str, label: str) -> str | None:
    """Why a (stripped) name cannot be stored, or None."""
    if not value:
        return f"{label} is missing."
    if len(value) > NAME_MAX:
        return f"{label} is longer than {NAME_MAX} characters."
    if not value.isprintable() and CONTROL_RE.search(value):
        return f"{label} contains a line break or another control character."
    return None


def _date_error(value: str, today: datetime.date, label: str) -> str | None:
    # fromisoformat also takes 20200101 and week dates; the length and dashes pin it to YYYY-MM-DD.
    if len(value) != 10 or value[4] != "-" or value[7] != "-" or not ISO_DATE_RE.match(value):
        return f"{label} must be a date written YYYY-MM-DD."
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return f"{label} is an impossible date (no such day)."
    if day > today:
        return f"{label} is in the future."
    if day.year < 1880:
        return f"{label} is before 1880."
    return None


def decode(data: bytes) -> tuple[str | None, RowError | None]:
    """UTF-8 text without the byte-order mark, or the line where the bytes stop being UTF-8."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, RowError(line, "", "The file is not UTF-8 text (save it as CSV UTF-8).")


# The fast lane: a file in the spec's own column order whose every row is already in canonical
# form (no quotes, no blank lines, no spaces to strip, upper-case gender, postal code with its
# space) is read by polars (multi-threaded, without quote handling: a canonical file has no
# quotes) and checked column-wise. It accepts only files the row-by-row reader accepts with the
# same rows; any file it does not accept whole goes to the row-by-row reader, which finds and
# words the errors.
_NAME = r"[^\s\",\x00-\x1f\x7f](?:[^\",\x00-\x1f\x7f]{0,98}[^\s\",\x00-\x1f\x7f])?"
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# Whole fields. The same syntax means the same in Python's re and in polars' Rust regex: \s is
# Unicode white space in both, and the control characters they might disagree on are refused.
CANONICAL_FIELDS = {
    "phn": r"^9[0-9]{9}$",
    "last_name": rf"^{_NAME}$",
    "first_name": rf"^{_NAME}$",
    "date_of_birth": rf"^{_DATE}$",
    "gender": r"^[FMX]?$",
    "postal_code": r"^(?:[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z] [0-9][ABCEGHJ-NPRSTV-Z][0-9])?$",
    "last_visit": rf"^(?:{_DATE})?$",
}
CANONICAL_HEADER_RE = re.compile(r"phn,last_name,first_name,date_of_birth,gender,postal_code,last_visit(\r?\n|\Z)", re.IGNORECASE)
_PHN_WEIGHTS = {10**8: 2, 10**7: 4, 10**6: 8, 10**5: 5, 10**4: 10, 10**3: 9, 10**2: 7, 10: 3}


def _phn_valid(n: pl.Series) -> pl.Series:
    """phn_is_valid for a column of PHNs as integers (10-digit strings beginning with 9, what CANONICAL_FIELDS lets through).

    The check digit d is valid when it is not 0 and (weighted sum + d) is a multiple of 11.
    """
    weighted = sum(((n // place) % 10) * weight for place, weight in _PHN_WEIGHTS.items())
    return ((n % 10) != 0) & ((weighted + n % 10) % 11 == 0)


def _check_canonical(data: bytes, text: str, today: datetime.date) -> CheckResult | None:
    """The whole file's result if it is canonical and has no bad row, else None.

    `data` is the file's bytes, `text` the same decoded (the byte-order mark removed).
    """
    if CANONICAL_HEADER_RE.match(text) is None:
        return None
    raw = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    # Lines end with LF or CRLF; a lone CR (old Mac line ends) is left to the row reader.
    if b"\r" in raw and raw.count(b"\r") != raw.count(b"\r\n"):
        return None
    # One row per line after the header (no blank lines) and six commas each: line numbers are row numbers.
    rows = raw.count(b"\n") - (1 if raw.endswith(b"\n") else 0)
    if rows == 0:
        return CheckResult()
    if raw.count(b",") != 6 * (rows + 1):
        return None
    try:
        frame = pl.read_csv(
            raw, has_header=True, new_columns=list(COLUMNS), infer_schema=False, quote_char=None,
            empty_string_is_null=False,
        )
    except pl.exceptions.PolarsError:
        return None  # a row with more fields than the header
    if frame.height != rows:
        return None
    if not all(frame.select(pl.col(c).str.contains(r).all() for c, r in CANONICAL_FIELDS.items()).row(0)):
        return None
    phn = frame.get_column("phn").cast(pl.Int64)  # ten digits: the same number is the same PHN
    if phn.n_unique() != len(phn) or not _phn_valid(phn).all():
        return None
    dates = set(frame.get_column("date_of_birth").unique()) | set(frame.get_column("last_visit").unique())
    dates.discard("")
    if any(_date_error(d, today, "") for d in dates):
        return None
    frame = frame.with_row_index("line", offset=2).with_columns(pl.col("line").cast(pl.Int64))
    return CheckResult(rows_read=frame.height, frame=frame)


def check(data: bytes, *, today: datetime.date | None = None, fast: bool = True) -> CheckResult:
    """Read and validate a whole panel file. Writes nothing.

    `fast=False` skips the canonical fast lane (the tests compare the two).
    """
    today = today or datetime.date.today()
    result = CheckResult()
    text, problem = decode(data)
    if problem:
        result.file_errors.append(problem)
        return result
    if fast and (canonical := _check_canonical(data, text, today)) is not None:
        return canonical

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        while header is not None and not any(h.strip() for h in header):
            header = next(reader, None)  # blank lines before the header
    except csv.Error as exc:
        result.file_errors.append(RowError(reader.line_num, "", f"The header row is not valid CSV: {exc}."))
        return result
    if header is None:
        result.file_errors.append(RowError(1, "", "The file is empty: it needs a header row and one row per patient."))
        return result
    header_line = reader.line_num
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.strip().lower()
        if key in COLUMNS and key not in index:
            index[key] = i
    for column in REQUIRED_COLUMNS:
        if column not in index:
            result.file_errors.append(RowError(header_line, column, f"The header has no “{column}” column."))
    if result.file_errors:
        return result

    i_phn, i_last, i_first, i_dob = (index[c] for c in REQUIRED_COLUMNS)
    i_gender, i_postal, i_visit = (index.get(c) for c in OPTIONAL_COLUMNS)
    width = max(index.values()) + 1
    seen: dict[str, int] = {}
    errors = result.errors
    rows: list[tuple] = []
    append_error = errors.append
    append_row = rows.append
    postal_match = POSTAL_RE.match
    # A panel has some 30,000 distinct birth dates and a few hundred visit dates: each
    # distinct value is judged once (its reason, or None), not parsed again on every row.
    dob_reasons: dict[str, str | None] = {}
    visit_reasons: dict[str, str | None] = {}
    postal_codes: dict[str, str | None] = {}
    rows_read = 0
    previous_end = header_line

    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # An unterminated quote swallows the rest of the file: report it where it starts.
            rows_read += 1
            append_error(RowError(previous_end + 1, "", f"This row is not valid CSV: {exc}."))
            break
        line = previous_end + 1
        previous_end = reader.line_num
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # blank line
        rows_read += 1
        if max(map(len, record)) > FIELD_MAX:
            for i, value in enumerate(record):
                if len(value) > FIELD_MAX:
                    column = header[i].strip().lower() if i < len(header) else f"column {i + 1}"
                    append_error(RowError(line, column, f"This field is too long ({len(value):,} characters)."))
            continue
        if len(record) < width:
            record = record + [""] * (width - len(record))
        bad = False

        phn = record[i_phn]
        if not (len(phn) == 10 and phn.isascii() and phn.isdigit()):
            phn = normalize_phn(phn)
        if not phn:
            append_error(RowError(line, "phn", "The PHN is missing."))
            bad = True
        else:
            reason = None if phn_is_valid(phn) else phn_error(phn)
            if reason:
                append_error(RowError(line, "phn", reason))
                bad = True
            elif phn in seen:
                append_error(RowError(line, "phn", f"The same PHN is on line {seen[phn]}."))
                bad = True
            else:
                seen[phn] = line

        last_name = record[i_last].strip()
        first_name = record[i_first].strip()
        for column, label, value in (("last_name", "The last name", last_name),
                                     ("first_name", "The first name", first_name)):
            reason = _name_error(value, label)
            if reason:
                append_error(RowError(line, column, reason))
                bad = True

        dob = record[i_dob].strip()
        if not dob:
            append_error(RowError(line, "date_of_birth", "The date of birth is missing."))
            bad = True
        else:
            try:
                reason = dob_reasons[dob]
            except KeyError:
                reason = dob_reasons[dob] = _date_error(dob, today, "The date of birth")
            if reason:
                append_error(RowError(line, "date_of_birth", reason))
                bad = True

        gender = ""
        if i_gender is not None:
            gender = GENDERS.get(record[i_gender].strip().upper())
            if gender is None:
                append_error(RowError(line, "gender", "Gender must be F, M, X or empty."))
                bad = True

        postal = ""
        if i_postal is not None:
            raw = record[i_postal].strip().upper()
            if raw:
                try:
                    postal = postal_codes[raw]
                except KeyError:
                    m = postal_match(raw)
                    postal = postal_codes[raw] = None if m is None else f"{m.group(1)} {m.group(2)}"
                if postal is None:
                    postal = ""
                    append_error(RowError(line, "postal_code", "This is not a Canadian postal code (A1A 1A1)."))
                    bad = True

        last_visit = ""
        if i_visit is not None:
            last_visit = record[i_visit].strip()
            if last_visit:
                try:
                    reason = visit_reasons[last_visit]
                except KeyError:
                    reason = visit_reasons[last_visit] = _date_error(last_visit, today, "The last visit")
                if reason:
                    append_error(RowError(line, "last_visit", reason))
                    bad = True

        if not bad:
            append_row((line, phn, last_name, first_name, dob, gender, postal, last_visit))

    result.rows_read = rows_read
    result.frame = rows_frame(rows)
    return result
