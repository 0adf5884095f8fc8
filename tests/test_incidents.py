"""Tests of optimiser.incidents: the police.uk loader, its counted checks, the harm table and month windows."""

from __future__ import annotations

import gzip
import logging
import shutil
from datetime import date
from pathlib import Path

import pytest

from optimiser import incidents
from optimiser.errors import DataError

FIXTURES = Path(__file__).parent / "data" / "police_uk"
TINY_LSOA = FIXTURES / "lsoa_tiny.csv"
JAN = FIXTURES / "2024-01-tiny-street.csv"
FEB = FIXTURES / "2024-02-tiny-street.csv"


def test_load_counts_every_row_it_cannot_use(caplog: pytest.LogCaptureFixture) -> None:
    """2024-01-tiny-street.csv: 9 rows; 4 usable (ASB, violence, robbery, burglary); one bad month
    (2024-13), two without usable coordinates (empty, 'abc'), one in a Hambleton LSOA (outside the
    three-LSOA force), one 'Space piracy' (no harm weight). Nothing is dropped uncounted."""
    with caplog.at_level(logging.WARNING, logger="optimiser.incidents"):
        frame, report = incidents.load([JAN], lsoa_file=TINY_LSOA)
    assert report.rows_read == 9
    assert report.rows_kept == len(frame) == 4
    assert report.counts == {
        "short_row": 0,
        "long_row": 0,
        "repeated_crime_id": 0,
        "bad_month": 1,
        "outside_months": 0,
        "other_force": 0,
        "no_coordinates": 2,
        "outside_force_area": 1,
        "unknown_crime_type": 1,
    }
    assert report.rows_read == report.rows_kept + sum(report.counts.values())
    assert report.unknown_crime_types == {"Space piracy": 1}
    assert report.by_file[str(JAN)]["no_coordinates"] == 2
    warning = caplog.text
    assert "2 row(s) with no usable coordinates" in warning
    assert "'Space piracy': 1" in warning
    assert "2024-01-tiny-street.csv" in warning
    assert "2024-01-tiny-street.csv (2, first at line 6)" in warning  # the first row without coordinates


def test_loaded_rows_carry_harm_district_and_grid_coordinates() -> None:
    """The robbery row of the fixture: harm 365 days (harm table), district E06000902 (its LSOA's council),
    and British National Grid metres of -1.3, 54.56 (445,365.5 E, 518,532.3 N; EPSG:27700, to 0.5 m)."""
    frame, _ = incidents.load(JAN, lsoa_file=TINY_LSOA)
    assert list(frame.columns) == list(incidents.INCIDENT_COLUMNS)
    robbery = frame[frame["crime_type"] == "Robbery"].iloc[0]
    assert robbery["harm"] == 365.0
    assert robbery["district"] == "E06000902"
    assert robbery["month"] == "2024-01"
    assert robbery["x"] == pytest.approx(445_365.5, abs=0.5)
    assert robbery["y"] == pytest.approx(518_532.3, abs=0.5)
    assert frame["harm"].tolist() == [1.0, 200.0, 365.0, 230.0]
    assert frame.attrs["crime_types"][0] == "Anti-social behaviour"


def test_a_cut_row_is_counted_as_short_with_its_line(tmp_path: Path) -> None:
    """A line cut after its sixth field (a damaged download) is a short row at line 3, not a row
    'outside the force area' (its LSOA field is simply missing)."""
    lines = JAN.read_text().splitlines()
    lines[2] = ",".join(lines[2].split(",")[:6])
    cut = tmp_path / JAN.name
    cut.write_text("\n".join(lines) + "\n")
    _, report = incidents.load(cut, lsoa_file=TINY_LSOA)
    assert report.counts["short_row"] == 1 and report.counts["outside_force_area"] == 1
    assert report.first_line[str(cut)]["short_row"] == 3
    assert "1 row(s) with fewer fields than the header" in report.summary()


def test_long_rows_repeated_crime_ids_and_swapped_coordinates_are_named(tmp_path: Path) -> None:
    """An unquoted comma in Location shifts a row's fields (it was counted 'outside the force area', and in
    the first rows made pandas take the first column as the index); a file holding its rows twice was
    counted twice; swapped coordinates get a hint. Each is its own counted reason, at its first line."""
    lines = JAN.read_text().splitlines()
    fields = lines[3].split(",")
    fields[6] = fields[6].replace("On or near ", "On or near Flat 2, ")  # Location
    long_line = ",".join(fields)
    assert long_line.count(",") == lines[3].count(",") + 1
    damaged = tmp_path / JAN.name
    damaged.write_text("\n".join([lines[0], long_line, *lines[1:3], *lines[4:], *lines[1:]]) + "\n")
    _, report = incidents.load(damaged, lsoa_file=TINY_LSOA)
    assert report.counts["long_row"] == 1 and report.first_line[str(damaged)]["long_row"] == 2
    # the second copy of each crime whose first copy is used repeats it (a2 too); a crime whose first copy
    # is set aside (no coordinates, say) is set aside again for that reason, not called a repeat
    clean, _ = incidents.load(JAN, lsoa_file=TINY_LSOA)
    used = set(clean["crime_id"].astype(str).str.strip()) - {""}
    # row 3's first copy is the long row, set aside: its second copy is used, not a repeat
    assert lines[3].split(",")[0].strip() in used
    assert 0 < report.counts["repeated_crime_id"] == len(used) - 1
    assert "with more fields than the header (an unquoted comma in a field?)" in report.summary()
    assert "repeating an earlier row's Crime ID" in report.summary()
    assert report.rows_read == report.rows_kept + sum(report.counts.values())
    swapped = tmp_path / "swapped" / JAN.name
    swapped.parent.mkdir()
    header, *rows = lines
    columns = header.split(",")
    lon, lat = columns.index("Longitude"), columns.index("Latitude")

    def swap(line: str) -> str:
        values = line.split(",")
        values[lon], values[lat] = values[lat], values[lon]
        return ",".join(values)

    swapped.write_text("\n".join([header, *(swap(r) for r in rows)]) + "\n")
    _, flipped = incidents.load(swapped, lsoa_file=TINY_LSOA)
    assert flipped.swapped_coordinates >= 1
    assert "with Longitude and Latitude swapped: check the columns" in flipped.summary()


def test_a_crime_whose_first_row_is_set_aside_is_counted_from_its_next_row(tmp_path: Path) -> None:
    """Within a file as across files, a repeat repeats a row that is used: a crime given twice, first
    without coordinates, was set aside twice (as 'no coordinates' and as a 'repeat') and lost."""
    header, *rows = JAN.read_text().splitlines()
    columns = header.split(",")
    lon = columns.index("Longitude")
    kept, _ = incidents.load(JAN, lsoa_file=TINY_LSOA)
    crime = next(r for r in rows if r.split(",")[0].strip() in set(kept["crime_id"]))
    blank = crime.split(",")
    blank[lon] = ""
    path = tmp_path / JAN.name
    path.write_text("\n".join([header, ",".join(blank), *rows]) + "\n")
    frame, report = incidents.load(path, lsoa_file=TINY_LSOA)
    assert report.counts["repeated_crime_id"] == 0 and report.counts["no_coordinates"] == 3
    assert len(frame) == len(kept) and crime.split(",")[0] in set(frame["crime_id"])


def _month_file(
    path: Path, month: str, crimes: int, asb: int, *, force: str = "Test Police", prefix: str = "c"
) -> Path:
    """A police.uk-shaped month: ``crimes`` violence rows with Crime IDs and ``asb`` ASB rows (no ID)."""
    header = FEB.read_text().splitlines()[0]
    rows = [
        f"{prefix}{i},{month},{force},{force},-1.234500,54.576000,On or near Albert Road,E01000001,Testtown 001A,"
        "Violence and sexual offences,Under investigation,"
        for i in range(crimes)
    ] + [
        f",{month},{force},{force},-1.234500,54.576000,On or near Albert Road,E01000001,Testtown 001A,"
        "Anti-social behaviour,,"
        for _ in range(asb)
    ]
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_a_file_holding_its_rows_twice_is_refused(tmp_path: Path) -> None:
    """Two downloads of a month joined in one file: its crimes could be set aside by Crime ID, but its ASB
    rows (no ID) would all count twice; before, the ASB doubled and the list changed. It is refused."""
    single = _month_file(tmp_path / "single.csv", "2024-02", 40, 10)
    lines = single.read_text().splitlines()
    twice = tmp_path / "2024-02-tiny-street.csv"
    twice.write_text("\n".join([*lines, *lines[1:]]) + "\n")
    with pytest.raises(DataError) as err:
        incidents.load(twice, lsoa_file=TINY_LSOA)
    assert "40 of its 80 rows with a Crime ID repeat an earlier row of the file (50%" in str(err.value)
    assert "download it again" in str(err.value) and str(twice) in str(err.value)


def test_a_second_file_with_the_same_crimes_is_refused_naming_both(tmp_path: Path) -> None:
    """A month given again under another force's name (another file name, so not caught by names):
    its Crime IDs are the first file's, and both are named."""
    ours = _month_file(tmp_path / "2024-02-tiny-street.csv", "2024-02", 40, 10)
    theirs = _month_file(tmp_path / "2024-02-other-street.csv", "2024-02", 40, 10, force="Durham Constabulary")
    with pytest.raises(DataError) as err:
        incidents.load([ours, theirs], lsoa_file=TINY_LSOA)
    assert f"{theirs}: 40 of its 40 Crime IDs (100%) are also in {ours}" in str(err.value)


def test_a_crime_id_seen_in_an_earlier_file_is_a_counted_repeat(tmp_path: Path) -> None:
    """A few crimes republished in the next month's file (the real data has one, 2024-03/2024-04) count
    once: the later row is a counted repeat."""
    jan = _month_file(tmp_path / "2024-01-tiny-street.csv", "2024-01", 40, 0)
    feb = _month_file(tmp_path / "2024-02-tiny-street.csv", "2024-02", 3, 5, prefix="x")
    text = feb.read_text().replace("x0,", "c0,")
    feb.write_text(text)
    frame, report = incidents.load([jan, feb], lsoa_file=TINY_LSOA)
    assert report.counts["repeated_crime_id"] == 1 and report.first_line[str(feb)]["repeated_crime_id"] == 2
    assert len(frame) == 40 + 2 + 5


def test_rows_of_another_force_are_counted_by_force_and_not_kept(tmp_path: Path) -> None:
    """A custom download adds British Transport Police rows in the force's LSOAs: before, they were merged
    silently; now they are counted by force and not used (the force's own download has none)."""
    ours = _month_file(tmp_path / "2024-02-tiny-street.csv", "2024-02", 30, 10)
    btp = _month_file(
        tmp_path / "2024-02-btp-street.csv", "2024-02", 3, 0, force="British Transport Police", prefix="b"
    )
    frame, report = incidents.load([ours, btp], lsoa_file=TINY_LSOA, months="2024-02")
    assert report.forces == {"Test Police": 40, "British Transport Police": 3}
    assert report.force == "Test Police"
    assert report.counts["other_force"] == 3 and len(frame) == 40
    summary = report.summary()
    assert "rows by force (Falls within): Test Police 40, British Transport Police 3; only Test Police's" in summary
    assert "3 row(s) of another force (Falls within) in 2024-02-btp-street.csv (3, first at line 2)" in summary
    # the same crimes under BTP's name in a file read first: the force's own rows are still kept
    early = _month_file(tmp_path / "2024-02-a-street.csv", "2024-02", 3, 0, force="British Transport Police")
    frame, report = incidents.load([early, ours], lsoa_file=TINY_LSOA, months="2024-02")
    assert report.counts["other_force"] == 3 and report.counts["repeated_crime_id"] == 0 and len(frame) == 40


def test_a_blank_line_is_not_a_short_row(tmp_path: Path) -> None:
    """pandas skips a whitespace-only line; the field count must skip it too, or the next good row would
    be counted as cut (and the wrong line named)."""
    lines = JAN.read_text().splitlines()
    spaced = tmp_path / JAN.name
    spaced.write_text("\n".join([*lines[:2], "   ", *lines[2:]]) + "\n")
    frame, report = incidents.load(spaced, lsoa_file=TINY_LSOA)
    assert report.counts["short_row"] == 0 and report.rows_kept == len(frame) == 4


def test_a_file_holding_another_month_is_a_named_error(tmp_path: Path) -> None:
    """February's rows saved as 2024-03-...: the name and the rows disagree, so the file is refused (it
    would otherwise be read as March missing and dilute every harm rate)."""
    misnamed = tmp_path / "2024-03-tiny-street.csv"
    shutil.copy(FEB, misnamed)
    with pytest.raises(DataError, match=r"name says 2024-03 but 2 row\(s\) are for 2024-02 \(first at line 2\)"):
        incidents.load(misnamed, lsoa_file=TINY_LSOA)


def test_a_header_only_month_is_a_named_error(tmp_path: Path) -> None:
    """A month file with its header and no rows is a broken download, not a month without crime."""
    empty = tmp_path / "2024-02-tiny-street.csv"
    empty.write_text(FEB.read_text().splitlines()[0] + "\n")
    with pytest.raises(DataError, match="header but no rows"):
        incidents.load(empty, lsoa_file=TINY_LSOA)


def test_a_month_given_twice_is_refused(tmp_path: Path) -> None:
    """Two overlapping downloads unzipped into one folder: a .csv and its .csv.gz, or a copy in a
    subfolder, would count the month twice; the error names both files."""
    folder = tmp_path / "street"
    (folder / "backup").mkdir(parents=True)
    shutil.copy(JAN, folder / JAN.name)
    shutil.copy(FEB, folder / FEB.name)
    shutil.copy(FEB, folder / "backup" / FEB.name)
    with pytest.raises(DataError, match=r"2024-02-tiny-street\.csv is given by 2 files") as err:
        incidents.load(folder, lsoa_file=TINY_LSOA)
    assert "backup" in str(err.value)
    (folder / "backup" / FEB.name).unlink()
    with (folder / JAN.name).open("rb") as src, gzip.open(folder / (JAN.name + ".gz"), "wb") as dst:
        shutil.copyfileobj(src, dst)
    with pytest.raises(DataError, match=r"2024-01-tiny-street\.csv is given by 2 files"):
        incidents.street_files(folder)


def test_a_month_resaved_by_a_spreadsheet_is_refused_naming_month_file_and_reason(tmp_path: Path) -> None:
    """February opened and saved in Excel: Month becomes Feb-24 in every row. The month then has no usable
    row, and would have been left out with every harm rate too low by its share (exit 0, one line of the
    report); it is refused like a missing month file, naming the month, the file and the reason with counts."""
    resaved = tmp_path / FEB.name
    resaved.write_text(FEB.read_text().replace(",2024-02,", ",Feb-24,"))
    with pytest.raises(DataError) as err:
        incidents.load([JAN, resaved], lsoa_file=TINY_LSOA, months="2024-01:2024-02")
    text = str(err.value)
    assert "no usable police.uk row for 1 month(s) of 2024-01:2024-02: 2024-02: " in text
    assert f"{resaved} (2 with a Month that is not YYYY-MM (first at line 2))" in text
    assert "download the month again" in text and "Nov-24" in text
    # without a window nothing is asked of every month: the rows stay counted, not refused
    _, report = incidents.load([JAN, resaved], lsoa_file=TINY_LSOA)
    assert report.bad_month == 3


def test_another_forces_month_file_is_refused(tmp_path: Path) -> None:
    """February replaced by a neighbouring force's file (rows in that force's LSOAs): no row of February
    is in the force area, so the month is refused naming the file and the reason."""
    other = tmp_path / "2024-02-neighbour-street.csv"
    other.write_text(FEB.read_text().replace("E01000001", "E01034500").replace("E01000003", "E01034500"))
    with pytest.raises(DataError, match=r"2024-02: .*2024-02-neighbour-street\.csv \(2 outside the force area"):
        incidents.load([JAN, other], lsoa_file=TINY_LSOA, months="2024-01:2024-02")


def test_a_month_of_another_forces_rows_is_refused_naming_that_force(tmp_path: Path) -> None:
    """The month's file is another force's download (Falls within, and its LSOAs): refused, naming the force."""
    jan = _month_file(tmp_path / "2024-01-tiny-street.csv", "2024-01", 30, 5)
    feb = _month_file(tmp_path / "2024-02-durham-street.csv", "2024-02", 3, 2, force="Durham Constabulary", prefix="d")
    with pytest.raises(DataError) as err:
        incidents.load([jan, feb], lsoa_file=TINY_LSOA, months="2024-01:2024-02")
    assert (
        f"2024-02: {feb} (5 of another force (Durham Constabulary; the files are mostly Test Police's) "
        "(first at line 2))"
    ) in str(err.value)


def test_the_report_names_files_with_most_rows_not_used_first(tmp_path: Path) -> None:
    """Four files with rows outside the force area, the one with most last by name: it is named first,
    not hidden in 'and 1 more'."""
    files = []
    for n, month in enumerate(("2024-01", "2024-02", "2024-03", "2024-04")):
        path = tmp_path / f"{month}-tiny-street.csv"
        lines = FEB.read_text().replace("2024-02", month).splitlines()
        rows = [lines[1].replace("E01000001", "E01099999")] * (1 + 3 * (n == 3)) + lines[1:]
        path.write_text("\n".join([lines[0], *rows]) + "\n")
        files.append(path)
    _, report = incidents.load(files, lsoa_file=TINY_LSOA)
    line = next(x for x in report.summary().splitlines() if "outside the force area" in x)
    assert "in 2024-04-tiny-street.csv (4, first at line 2), 2024-01-tiny-street.csv (1, first at line 2)" in line
    assert line.endswith("and 1 more")


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_a_file_that_is_not_utf8_names_the_line_and_says_to_resave(tmp_path: Path, suffix: str) -> None:
    """A Location with 'Café' saved as Windows-1252 (byte 0xe9) on the third data row: before, the error gave
    a byte offset in a read buffer ('position 758'); now the line, the byte and what to do."""
    lines = JAN.read_text().splitlines()
    lines[3] = lines[3].replace("On or near ", "On or near Café ")
    data = ("\n".join(lines) + "\n").encode("cp1252")
    path = tmp_path / f"2024-01-tiny-street{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    with pytest.raises(DataError) as err:
        incidents.load(path, lsoa_file=TINY_LSOA)
    text = str(err.value)
    assert f"{path}: is not UTF-8 text at line 4 (byte b'\\xe9'" in text
    assert "On or near Caf\ufffd" in text  # the text around the byte, which lies past the first 80 characters
    assert "re-save it as UTF-8" in text


def test_gzip_and_plain_files_load_the_same(tmp_path: Path) -> None:
    """A .csv.gz copy of the January fixture gives the same 4 rows as the plain file."""
    gz = tmp_path / "2024-01-tiny-street.csv.gz"
    with JAN.open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    plain, _ = incidents.load(JAN, lsoa_file=TINY_LSOA)
    packed, report = incidents.load(gz, lsoa_file=TINY_LSOA)
    assert report.rows_kept == 4
    assert packed.drop(columns="source").equals(plain.drop(columns="source"))


def test_missing_column_names_column_and_file() -> None:
    """missing-column-street.csv lacks 'Crime type': the error names that column and the file."""
    with pytest.raises(DataError) as err:
        incidents.load(FIXTURES / "missing-column-street.csv", lsoa_file=TINY_LSOA)
    text = str(err.value)
    assert "'Crime type'" in text
    assert "missing-column-street.csv" in text


def test_empty_and_missing_files_are_data_errors(tmp_path: Path) -> None:
    empty = tmp_path / "2024-03-x-street.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="empty"):
        incidents.load(empty, lsoa_file=TINY_LSOA)
    with pytest.raises(DataError, match="not found"):
        incidents.load(tmp_path / "nope.csv", lsoa_file=TINY_LSOA)


def test_months_filter_is_counted_but_not_warned(caplog: pytest.LogCaptureFixture) -> None:
    """Loading January and February (4 + 2 usable rows) for February only keeps 2 and counts the 8
    January rows with a valid month as outside_months; the bad-month row stays a bad month."""
    with caplog.at_level(logging.WARNING, logger="optimiser.incidents"):
        frame, report = incidents.load([JAN, FEB], lsoa_file=TINY_LSOA, months="2024-02:2024-02")
    assert len(frame) == 2
    assert report.outside_months == 8
    assert report.bad_month == 1
    assert report.problems == 1
    assert "outside the months" not in caplog.text.split("police.uk rows not used")[0]


def test_folder_argument_finds_street_files() -> None:
    """A folder is searched for *-street.csv[.gz]: the fixture folder holds three (one lacks a column)."""
    found = incidents.street_files(FIXTURES)
    assert [p.name for p in found] == [
        "2024-01-tiny-street.csv",
        "2024-02-tiny-street.csv",
        "missing-column-street.csv",
    ]
    assert [p.name for p in incidents.street_files(FIXTURES, months="2024-02:2024-05")] == ["2024-02-tiny-street.csv"]
    with pytest.raises(DataError, match=r"no police\.uk street files"):
        incidents.street_files(FIXTURES, months="2030-01:2030-02")


def test_harm_table_has_the_issue_values() -> None:
    """data/harm_weights.csv: Cambridge Crime Harm Index style days, exactly as the programme specifies."""
    assert incidents.load_harm_weights() == {
        "Violence and sexual offences": 200.0,
        "Robbery": 365.0,
        "Possession of weapons": 273.75,
        "Burglary": 230.0,
        "Criminal damage and arson": 10.0,
        "Public order": 7.5,
        "Vehicle crime": 5.0,
        "Drugs": 3.5,
        "Other theft": 2.0,
        "Theft from the person": 2.0,
        "Bicycle theft": 2.0,
        "Shoplifting": 1.0,
        "Other crime": 10.0,
        "Anti-social behaviour": 1.0,
    }


def test_bad_harm_table_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "harm.csv"
    path.write_text("crime_type,days,source\nRobbery,lots,x\n")
    with pytest.raises(DataError, match=r"row 2 \(Robbery\)"):
        incidents.load_harm_weights(path)
    path.write_text("crime_type,days\nRobbery,1\n")
    with pytest.raises(DataError, match="'source'"):
        incidents.load_harm_weights(path)


def test_force_area_is_the_359_cleveland_lsoas() -> None:
    """The shipped LSOA table: 359 LSOAs (57 + 90 + 88 + 124) covering about 597.6 km²."""
    force = incidents.load_force_area()
    assert len(force.lsoa_district) == 359
    by_district = {d: list(force.lsoa_district.values()).count(d) for d in force.district_names}
    assert by_district == {"E06000001": 57, "E06000002": 90, "E06000003": 88, "E06000004": 124}
    assert force.area_m2 == pytest.approx(597.6e6, rel=1e-3)
    assert force.district_names["E06000002"] == "Middlesbrough"


def test_month_windows() -> None:
    window = incidents.parse_months("2023-12:2024-11")
    assert window.months[0] == "2023-12" and window.months[-1] == "2024-11" and len(window.months) == 12
    assert window.days == 366  # holds 29 February 2024
    assert incidents.parse_months("2024-02").days == 29
    assert incidents.default_window(date(2024, 12, 2)) == window
    assert incidents.default_window(date(2024, 1, 8), months=3) == incidents.MonthWindow("2023-10", "2023-12")
    with pytest.raises(DataError, match="YYYY-MM"):
        incidents.parse_months("2024-13:2025-01")
    with pytest.raises(DataError, match="ends before"):
        incidents.parse_months("2024-05:2024-01")


def test_stop_and_search_weekday_profile_uses_local_dates(caplog: pytest.LogCaptureFixture) -> None:
    """Three records: 2024-07-01T23:00Z is local midnight of Tuesday 2 July (BST); 2024-12-02T00:00Z is
    Monday 2 December (GMT); 'not a date' is counted in a warning. Profile: Monday 0.5, Tuesday 0.5."""
    with caplog.at_level(logging.WARNING, logger="optimiser.incidents"):
        profile = incidents.stop_and_search_weekday_profile(FIXTURES / "2024-07-tiny-stop-and-search.csv")
    assert profile.to_dict() == {"mon": 0.5, "tue": 0.5, "wed": 0.0, "thu": 0.0, "fri": 0.0, "sat": 0.0, "sun": 0.0}
    assert "1 stop-and-search record(s)" in caplog.text


def test_shipped_street_files_have_the_police_uk_columns() -> None:
    """All 21 shipped months (2023-12..2025-08) are present and every header has the 12 police.uk columns."""
    files = incidents.street_files()
    assert len(files) == 21
    assert files[0].name.startswith("2023-12") and files[-1].name.startswith("2025-08")
    for path in files:
        assert set(incidents.STREET_COLUMNS) <= set(incidents._read_header(path))


def test_one_shipped_month_loads_cleanly() -> None:
    """2024-11 (6,950 rows): every row has coordinates, a known crime type and a good month; only a
    few border rows fall outside the 359 LSOAs."""
    frame, report = incidents.load(incidents.street_files(months="2024-11"))
    assert report.rows_read == 6950
    assert report.bad_month == report.no_coordinates == report.unknown_crime_type == 0
    assert report.outside_force_area < 10
    assert len(frame) == 6950 - report.outside_force_area
    assert set(frame["district"]) == {"E06000001", "E06000002", "E06000003", "E06000004"}
