"""The customer import file: a UTF-8 CSV with a header row, read one record at a time.

Columns (any order; only ``points`` and one of ``external_id`` / ``email`` are required
in the header; a BOM is allowed; blank lines are skipped):

- ``external_id``: the platform's customer id, up to 64 characters without spaces
- ``email``: a valid address (stored lower-cased)
- ``first_name``, ``last_name``: up to 255 characters
- ``points``: the opening balance, a whole number from -1,000,000,000 to 1,000,000,000
  (empty means 0)
- ``birthday``: ``YYYY-MM-DD``, or ``MM-DD`` / ``--MM-DD`` without the year

Every row needs an ``external_id`` or an ``email``. Shape and format only: whether a
row matches an account is the import service's business.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from ..rules.birthdays import check_birthday
from ..services.accounts import normalise_email

COLUMNS = ("external_id", "email", "first_name", "last_name", "points", "birthday")
MAX_POINTS = 1_000_000_000
_POINTS = re.compile(r"^[+-]?[0-9]{1,10}$")
_FULL_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_MONTH_DAY = re.compile(r"^(?:--)?([0-9]{2})-([0-9]{2})$")


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class CustomerLine:
    line: int
    external_id: str | None
    email: str | None
    first_name: str | None
    last_name: str | None
    points: int
    # ISO 8601: "YYYY-MM-DD", or "--MM-DD" when the year is not known.
    birthday: str | None


Parsed = CustomerLine | list[RowProblem]


def read_customer_csv(stream: BinaryIO, today: dt.date) -> Iterator[Parsed]:
    """Each record as a CustomerLine or its problems; a header or encoding problem ends the file."""
    physical = [0]
    reader = csv.reader(_decoded(stream, physical), strict=True)
    line = 1
    try:
        header = next(reader, None)
        if header is None:
            yield [RowProblem(1, None, "the file is empty: a header row is needed")]
            return
        columns, problems = _header(header)
        if problems:
            yield problems
            return
        while True:
            line = reader.line_num + 1
            values = next(reader, None)
            if values is None:
                return
            if values == [] or values == [""]:
                continue
            yield _row(line, columns, values, today)
    except UnicodeDecodeError:
        yield [RowProblem(physical[0], None, "the file is not valid UTF-8 from here on")]
    except csv.Error as exc:
        yield [RowProblem(line, None, f"not readable as CSV from here on ({exc})")]


def _decoded(stream: BinaryIO, physical: list[int]) -> Iterator[str]:
    """Line by line, so a decoding error names its own line (UTF-8 never hides a newline byte
    inside a character); ``physical[0]`` is the line being read."""
    for number, raw in enumerate(stream, start=1):
        physical[0] = number
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        yield raw.decode("utf-8")


def _header(names: list[str]) -> tuple[list[str], list[RowProblem]]:
    columns = [name.strip().lower() for name in names]
    problems = [RowProblem(1, name or None, f"unknown column; the columns are {', '.join(COLUMNS)}")
                for name in columns if name not in COLUMNS]
    problems += [RowProblem(1, name, "the column appears twice")
                 for i, name in enumerate(columns) if name in COLUMNS and name in columns[:i]]
    if "points" not in columns:
        problems.append(RowProblem(1, "points", "the header needs a points column"))
    if "external_id" not in columns and "email" not in columns:
        problems.append(RowProblem(1, None, "the header needs an external_id or an email column"))
    return columns, problems


def _row(line: int, columns: list[str], values: list[str], today: dt.date) -> Parsed:
    if len(values) != len(columns):
        return [RowProblem(line, None, f"{len(values)} fields where the header has {len(columns)}")]
    raw = {name: value.strip() for name, value in zip(columns, values)}
    problems: list[RowProblem] = []

    def check(column: str, parse: Callable[[str], Any]) -> Any:
        value = raw.get(column, "")
        if not value:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            problems.append(RowProblem(line, column, str(exc)))
            return None

    external_id = check("external_id", _external_id)
    email = check("email", _email)
    first_name = check("first_name", _name)
    last_name = check("last_name", _name)
    points = check("points", _points)
    birthday = check("birthday", lambda value: _birthday(value, today))
    if not raw.get("external_id") and not raw.get("email"):
        problems.append(RowProblem(line, "external_id", "a row needs an external_id or an email"))
    if problems:
        return problems
    return CustomerLine(line=line, external_id=external_id, email=email, first_name=first_name,
                        last_name=last_name, points=points or 0, birthday=birthday)


def _external_id(value: str) -> str:
    if len(value) > 64 or any(c.isspace() or not c.isprintable() for c in value):
        raise ValueError("must be up to 64 characters without spaces")
    return value


def _email(value: str) -> str:
    email = normalise_email(value)
    if email is None:
        raise ValueError(f"{value[:80]!r} is not an email address")
    return email


def _name(value: str) -> str:
    if len(value) > 255 or not value.isprintable():
        raise ValueError("must be up to 255 printable characters")
    return value


def _points(value: str) -> int:
    if not _POINTS.match(value) or abs(int(value)) > MAX_POINTS:
        raise ValueError(f"{value[:20]!r} is not a whole number of points from "
                         f"-{MAX_POINTS:,} to {MAX_POINTS:,}")
    return int(value)


def _birthday(value: str, today: dt.date) -> str:
    full, partial = _FULL_DATE.match(value), _MONTH_DAY.match(value)
    if full or partial:
        text = value if full else f"--{partial[1]}-{partial[2]}"
        year, month, day = parse_birthday(text)
        # The same judgement the birthday API makes, so a checked file never fails half-way.
        if check_birthday(month, day, year, today) is None:
            return text
    raise ValueError(f"{value[:20]!r} is not a date: give YYYY-MM-DD or MM-DD, not in the future")


def parse_birthday(text: str) -> tuple[int | None, int, int]:
    """(year or None, month, day) of a checked line's ``birthday``."""
    if text.startswith("--"):
        month, day = text[2:].split("-")
        return None, int(month), int(day)
    year, month, day = text.split("-")
    return int(year), int(month), int(day)
