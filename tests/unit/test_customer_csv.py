"""The customer import format: header rules, each column's checks, what ends a file early."""
from __future__ import annotations

import datetime as dt
import io

import pytest

from loyalty_plugin.schemas.customer_csv import CustomerLine, RowProblem, read_customer_csv

TODAY = dt.date(2026, 11, 26)


def read(text: str | bytes) -> list:
    data = text.encode() if isinstance(text, str) else text
    return list(read_customer_csv(io.BytesIO(data), TODAY))


def test_columns_in_any_order_with_a_bom_blank_lines_and_quoted_fields():
    rows = read('\ufeffPoints , EMAIL,birthday\r\n"1,000",a@example.com,\r\n\r\n7,"B@Example.com",--02-29\r\n')
    assert rows[0] == [RowProblem(2, "points", "'1,000' is not a whole number of points from "
                                                "-1,000,000,000 to 1,000,000,000")]
    assert rows[1] == CustomerLine(line=4, external_id=None, email="b@example.com", first_name=None,
                                   last_name=None, points=7, birthday="--02-29")


@pytest.mark.parametrize("value, expected", [
    ("1990-04-01", "1990-04-01"), ("04-01", "--04-01"), ("--12-31", "--12-31"), ("02-29", "--02-29"),
])
def test_birthdays_with_or_without_the_year(value, expected):
    (row,) = read(f"external_id,points,birthday\n1,0,{value}\n")
    assert row.birthday == expected


@pytest.mark.parametrize("value", ["1899-12-31", "2026-11-27", "1990-02-30", "13-01", "1990/04/01",
                                   "April 1"])
def test_impossible_or_future_birthdays_are_problems(value):
    (problems,) = read(f"external_id,points,birthday\n1,0,{value}\n")
    assert [p.column for p in problems] == ["birthday"]


@pytest.mark.parametrize("value, points", [("", 0), ("+5", 5), ("-1000000000", -1000000000),
                                           (" 12 ", 12)])
def test_points_are_whole_numbers_in_range(value, points):
    (row,) = read(f"external_id,points\n1,{value}\n")
    assert row.points == points


@pytest.mark.parametrize("value", ["1.5", "1e3", "1000000001", "١٢", "5 points"])
def test_points_that_are_not_plain_whole_numbers_are_problems(value):
    (problems,) = read(f'external_id,points\n1,"{value}"\n')
    assert [p.column for p in problems] == ["points"]


def test_external_ids_are_short_and_without_spaces():
    rows = read("external_id,points\nab c,1\n" + "x" * 65 + ",1\n")
    assert [[p.column for p in row] for row in rows] == [["external_id"], ["external_id"]]


def test_a_header_without_points_or_an_identity_column_is_refused_whole():
    (problems,) = read("first_name,first_name\nAnn,Ann\n")
    assert [str(p) for p in problems] == [
        "line 1, first_name: the column appears twice",
        "line 1, points: the header needs a points column",
        "line 1: the header needs an external_id or an email column"]


def test_an_empty_file_and_bad_encoding_end_with_one_problem():
    assert read("") == [[RowProblem(1, None, "the file is empty: a header row is needed")]]
    rows = read(b"external_id,points\n1,5\n2,\xff\n3,4\n")
    assert rows[0].points == 5
    assert rows[-1] == [RowProblem(3, None, "the file is not valid UTF-8 from here on")]


def test_an_unterminated_quote_ends_the_file_with_a_problem():
    rows = read('external_id,points\n1,"5\n')
    assert len(rows) == 1 and rows[0][0].message.startswith("not readable as CSV")
