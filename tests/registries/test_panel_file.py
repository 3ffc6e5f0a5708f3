"""The panel file parser and validator (the format: registries/panels/file.py), without the database."""

import datetime

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from registries.panels import file as panel_file
from registries.phn import make_phn
from tests.factories import valid_phns

TODAY = datetime.date(2026, 6, 1)


def phns(n, start=20_000_000):
    return valid_phns(n, start)


def check(text: str, **kw):
    return panel_file.check(text.encode("utf-8"), today=TODAY, **kw)


def errors(result):
    return [(e.line, e.column, e.reason) for e in result.all_errors]


def test_clean_file_with_bom_crlf_any_order_unknown_columns_and_odd_header_case():
    a, b = phns(2)
    text = (
        "\ufeff Last_Name ,PHN,First_Name,Clinic Chart No,DATE_OF_BIRTH,gender,postal_code,last_visit\r\n"
        f'"O\'Brien, Jr.",{a[:4]} {a[4:7]} {a[7:]},Siobhan,A-17,1970-01-31,f,v2c1a1,2026-05-30\r\n'
        f"Nguyen,{b},An,A-18,2001-12-01,,,\r\n"
    )
    result = check(text)
    assert errors(result) == []
    assert result.rows_read == 2 and result.rows_valid == 2
    line, phn, last, first, dob, gender, postal, visit = result.rows[0]
    assert (line, phn, last, first, dob, gender, postal, visit) == (
        2, a, "O'Brien, Jr.", "Siobhan", "1970-01-31", "F", "V2C 1A1", "2026-05-30"
    )
    assert result.rows[1][panel_file.GENDER] == "" and result.rows[1][panel_file.LAST_VISIT] == ""


def test_every_bad_row_kind_is_reported_with_line_and_column():
    good, dup, p3 = phns(3)
    bad_check = good[:-1] + str((int(good[-1]) + 1) % 10)
    text = "\n".join([
        "phn,last_name,first_name,date_of_birth,gender,postal_code,last_visit",
        f"{good},Ames,Ann,1980-01-01,F,V2C 1A1,2026-01-01",    # 2 ok
        f"{bad_check},Bell,Bo,1980-01-01,,,",                   # 3 check digit
        "12345,Cole,Cy,1980-01-01,,,",                          # 4 not 10 digits
        "8123456789,Cole,Cy,1980-01-01,,,",                     # 5 does not begin with 9
        ",Dunn,Di,1980-01-01,,,",                                # 6 missing PHN
        f"{dup},,Ed,1980-01-01,,,",                              # 7 missing last name
        f"{p3},Fox,,1980-01-01,,,",                              # 8 missing first name
        f"{phns(1, 30_000_000)[0]},Gray,Gus,,,,",                # 9 missing DOB
        f"{phns(1, 31_000_000)[0]},Hill,Hal,01/02/1980,,,",      # 10 wrong date format
        f"{phns(1, 32_000_000)[0]},Ives,Ida,2023-02-30,,,",      # 11 impossible date
        f"{phns(1, 33_000_000)[0]},Jay,Jo,2027-01-01,,,",        # 12 born in the future
        f"{phns(1, 34_000_000)[0]},Kay,Kim,1980-01-01,female,,", # 13 bad gender
        f"{phns(1, 35_000_000)[0]},Lee,Lu,1980-01-01,,Z1A 1A1,", # 14 bad postal code
        f"{phns(1, 36_000_000)[0]},Moe,Mo,1980-01-01,,,2026-06-02",  # 15 last visit in the future
        f"{phns(1, 37_000_000)[0]},Ney,Ned,1980-01-01,,,2026-13-01",  # 16 impossible last visit
        f"{good},Ames,Ann,1980-01-01,,,",                        # 17 same PHN as line 2
    ]) + "\n"
    result = check(text)
    got = {(line, column): reason for line, column, reason in errors(result)}
    assert set(got) == {
        (3, "phn"), (4, "phn"), (5, "phn"), (6, "phn"), (7, "last_name"), (8, "first_name"),
        (9, "date_of_birth"), (10, "date_of_birth"), (11, "date_of_birth"), (12, "date_of_birth"),
        (13, "gender"), (14, "postal_code"), (15, "last_visit"), (16, "last_visit"), (17, "phn"),
    }
    assert "check digit" in got[(3, "phn")]
    assert "10 digits" in got[(4, "phn")]
    assert "begins with 9" in got[(5, "phn")]
    assert "missing" in got[(6, "phn")]
    assert "YYYY-MM-DD" in got[(10, "date_of_birth")]
    assert "impossible" in got[(11, "date_of_birth")]
    assert "future" in got[(12, "date_of_birth")]
    assert "future" in got[(15, "last_visit")]
    assert got[(17, "phn")] == "The same PHN is on line 2."
    assert result.rows_read == 16 and result.rows_valid == 1
    assert [r[panel_file.LINE] for r in result.rows] == [2]


def test_one_row_with_several_bad_fields_reports_each_and_counts_once():
    result = check("phn,last_name,first_name,date_of_birth\n123,,,\n")
    assert errors(result) == [
        (2, "phn", "A Personal Health Number has 10 digits."),
        (2, "last_name", "The last name is missing."),
        (2, "first_name", "The first name is missing."),
        (2, "date_of_birth", "The date of birth is missing."),
    ]
    assert result.rows_read == 1 and result.bad_lines == 1


def test_line_numbers_follow_quoted_newlines_and_blank_lines():
    a, b = phns(2)
    text = (
        f'phn,last_name,first_name,date_of_birth,notes\n{a},Ames,Al,1980-01-01,"two\nlines"\n\n'
        f'{b},,Bo,1980-01-01,\n{b[:-1]},"Line\nBreak",Cy,1980-01-01,\n'
    )
    result = check(text)
    assert result.rows_read == 3
    assert errors(result) == [
        (5, "last_name", "The last name is missing."),
        (6, "phn", "A Personal Health Number has 10 digits."),
        (6, "last_name", "The last name contains a line break or another control character."),
    ]


def test_missing_required_column_is_a_file_error():
    result = check("phn,surname,first_name,date_of_birth\n9123456789,X,Y,1980-01-01\n")
    assert errors(result) == [(1, "last_name", "The header has no “last_name” column.")]
    assert result.rows_valid == 0


def test_empty_and_non_utf8_files():
    assert check("").file_errors[0].reason.startswith("The file is empty")
    latin = "phn,last_name,first_name,date_of_birth\n9123456789,Ren\xe9e,X,1980-01-01\n".encode("latin-1")
    result = panel_file.check(latin, today=TODAY)
    assert [(e.line, e.reason) for e in result.file_errors] == [(2, "The file is not UTF-8 text (save it as CSV UTF-8).")]


def test_unterminated_quote_is_reported_not_crashed():
    a = phns(1)[0]
    result = check(f'phn,last_name,first_name,date_of_birth\n{a},"Open,Al,1980-01-01\n')
    # Python's csv reads the rest of the file into the open quote; the row is bad, not silently loaded.
    assert result.rows_valid == 0 and result.errors


@hsettings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_names_survive_the_round_trip_to_copy_csv(name):
    import csv
    import io

    a = phns(1)[0]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["phn", "last_name", "first_name", "date_of_birth"], [a, name, "X", "1980-01-01"]])
    result = panel_file.check(buffer.getvalue().encode(), today=TODAY)
    if name.strip() and len(name.strip()) <= 100 and not panel_file.CONTROL_RE.search(name.strip()):
        assert result.rows[0][panel_file.LAST_NAME] == name.strip()
        block = result.copy_csv().decode()
        assert next(csv.reader(io.StringIO(block, newline="")))[panel_file.LAST_NAME] == name.strip()
    else:
        assert result.rows_valid == 0


@hsettings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(min_value=0, max_value=99_999_999).map(lambda n: f"9{n:08d}{n % 10}"),
                 st.integers(min_value=0, max_value=99_999_999).map(make_phn).filter(bool),
                 st.text(alphabet="0123456789 ", max_size=12)))
def test_fast_phn_check_agrees_with_the_registry_rule(value):
    from registries.phn import is_valid_phn

    assert panel_file.phn_is_valid(value) == (is_valid_phn(value) and value.isdigit())


@hsettings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=999_999_999).map(lambda n: f"9{n:09d}"), min_size=1, max_size=50))
def test_the_column_wise_phn_check_agrees_with_the_row_check(values):
    import polars as pl

    valid = panel_file._phn_valid(pl.Series(values).cast(pl.Int64)).to_list()
    assert valid == [panel_file.phn_is_valid(v) for v in values]


def test_odd_shapes_read_the_same_in_both_lanes():
    """Header only, blank lines at the end, old Mac line ends, no final line end, rows with a field too many or too few."""
    header = "phn,last_name,first_name,date_of_birth,gender,postal_code,last_visit"
    a, b = phns(2, 61_000_000)
    for text in (header, header + "\r\n", header + "\n\n", f"{header}\n{a},Lee,Mei,1980-01-01,,,\n\n",
                 f"{header}\r{a},Lee,Mei,1980-01-01,,,\r", f"{header}\n{a},Lee,Mei,1980-01-01,,,",
                 f"{header}\n{a},Lee,Mei,1980-01-01,F,,,\n{b},Gill,Raj,1981-01-01,M,\n",
                 f"{header}\n{a},Lee,Mei,1980-01-01,F,\n{b},Gill,Raj,1981-01-01,M,,,\n"):
        assert _outcome(check(text)) == _outcome(check(text, fast=False)), repr(text)


def _outcome(result):
    return result.rows_read, result.rows, errors(result)


_fields = {
    "phn": st.one_of(st.sampled_from(phns(4, 50_000_000)), st.sampled_from(["9123456789", "123", "", " 9100000009"])),
    "name": st.one_of(st.sampled_from(["Ames", "O'Neil", "Chloé", "Mc Ewan", "José-Luis"]),
                      # White space and format characters where Python's and polars' (Rust's) regex could differ.
                      st.text(alphabet=st.sampled_from(list('aZé ,"\t\u00a0\u2003\x85\u200b\ufeff\u180e\u3000')), max_size=4),
                      st.just("x" * 101)),
    "date": st.sampled_from(["1980-01-01", "2023-02-30", "2027-01-01", "1879-12-31", "1980-1-01", "19800101", ""]),
    "gender": st.sampled_from(["", "F", "M", "X", "f", "Q"]),
    "postal": st.sampled_from(["", "V2C 1A1", "V2C1A1", "v2c 1a1", "Z1A 1A1", "V2C  1A1"]),
    "eol": st.sampled_from(["\n", "\r\n", "\r"]),
}


@hsettings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.tuples(_fields["phn"], _fields["name"], _fields["name"], _fields["date"], _fields["gender"],
                            _fields["postal"], _fields["date"], _fields["eol"]), max_size=5),
    header=st.sampled_from(["phn,last_name,first_name,date_of_birth,gender,postal_code,last_visit",
                            "PHN,Last_Name,First_Name,Date_Of_Birth,Gender,Postal_Code,Last_Visit",
                            "last_name,phn,first_name,date_of_birth,gender,postal_code,last_visit"]),
    final_eol=st.booleans(),
)
def test_the_canonical_fast_lane_agrees_with_the_row_reader(rows, header, final_eol):
    text = header + "\n"
    for i, (phn, last, first, dob, gender, postal, visit, eol) in enumerate(rows):
        if header.startswith("last_name"):
            phn, last = last, phn
        text += f"{phn},{last},{first},{dob},{gender},{postal},{visit}"
        text += eol if final_eol or i < len(rows) - 1 else ""
    data = text.encode()
    assert _outcome(panel_file.check(data, today=TODAY)) == _outcome(panel_file.check(data, today=TODAY, fast=False))


@hsettings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.tuples(st.text(alphabet=st.sampled_from(list('ab,"\n\r ')), max_size=6),
                            st.lists(st.sampled_from(["", " ", ",,,,", '""']), max_size=2)), min_size=1, max_size=5),
    eol=st.sampled_from(["\n", "\r\n", "\r"]),
    bom=st.booleans(),
)
def test_each_bad_row_is_reported_on_the_line_it_starts(rows, eol, bom):
    """Quoted line breaks, blank lines, any line ending: the line a text editor shows."""
    text, expected, line = "phn,last_name,first_name,date_of_birth,notes" + eol, [], 2
    for note, blanks in rows:
        for blank in blanks:
            text += blank + eol
            if blank == ",,,,":
                expected.append(line)  # a row of empty fields is a (bad) row; a blank line is not
            line += 1
        quoted = '"' + note.replace('"', '""') + '"'
        text += f"1,Ames,,1980-01-01,{quoted}" + eol
        expected.append(line)
        line += quoted.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    result = panel_file.check((("\ufeff" if bom else "") + text).encode(), today=TODAY)
    assert sorted({e.line for e in result.errors}) == expected


def test_the_fast_lane_takes_clean_canonical_files_only():
    a, b = phns(2, 60_000_000)
    clean = f"phn,last_name,first_name,date_of_birth,gender,postal_code,last_visit\r\n{a},Lee,Mei,1980-01-01,F,V2C 1A1,2026-05-01\r\n{b},Gill,Raj,1990-02-03,,,\r\n"
    fast = panel_file._check_canonical(clean.encode(), clean, TODAY)
    assert fast is not None and _outcome(fast) == _outcome(check(clean, fast=False))
    assert fast.rows[1] == (3, b, "Gill", "Raj", "1990-02-03", "", "", "")
    for spoiled in (clean.replace(",F,", ",f,"), clean.replace("Lee", " Lee"), clean.replace(b, a),
                    clean.replace("2026-05-01", "2026-06-02"), clean.replace("\r\n", "\n\n", 1)):
        assert panel_file._check_canonical(spoiled.encode(), spoiled, TODAY) is None


def test_a_field_too_long_for_csv_is_reported_and_the_rows_after_it_still_read():
    """Over Python csv's 131,072-character field limit: the row is reported, the file goes on."""
    a, b, c = phns(3, 62_000_000)
    header = "phn,last_name,first_name,date_of_birth,gender,postal_code,last_visit"
    for long_field in ("x" * 131_073, "y" * 2_000):
        text = (f"{header}\n{a},Lee,Mei,1980-01-01,,,\n{b},{long_field},Raj,1981-01-01,,,\n"
                f"{c},Gill,Ana,1982-01-01,,,\n")
        for fast in (True, False):
            result = check(text, fast=fast)
            assert result.rows_read == 3
            assert [r[panel_file.PHN] for r in result.rows] == [a, c]
            assert errors(result) == [(3, "last_name", f"This field is too long ({len(long_field):,} characters).")]
    # In a column the file has but the registry does not read, and in an unnamed extra one.
    text = f"phn,last_name,first_name,date_of_birth,notes\n{a},Lee,Mei,1980-01-01,{'z' * 200_000},extra\n{b},Gill,Raj,1981-01-01,,\n"
    result = check(text)
    assert errors(result) == [(2, "notes", "This field is too long (200,000 characters).")]
    assert [r[panel_file.PHN] for r in result.rows] == [b]
