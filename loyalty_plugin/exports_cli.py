"""``loyalty export customers|ledger``: a shop's data as CSV, streamed to a file or stdout."""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from . import migrate
from .db import get_db
from .services.exports import (CUSTOMER_COLUMNS, LEDGER_COLUMNS, csv_chunks, customer_count,
                               customer_rows, ledger_count, ledger_rows)
from .services.shops import get_shop

RowSource = Callable[[Session, int], Iterator[Sequence[Any]]]
RowCount = Callable[[Session, int], int]


@click.group("export", cls=AppGroup)
def export_cli() -> None:
    """Export a shop's customers or ledger as CSV (streamed: fine for millions of rows)."""


def _command(name: str, columns: Sequence[str], rows: RowSource, count: RowCount, what: str) -> None:
    @export_cli.command(name, help=f"Write the shop's {what} as CSV to FILE (default: stdout), with a "
                                   "progress bar on the terminal when FILE is given. "
                                   "Text that a spreadsheet would run as a formula starts with an "
                                   "apostrophe.")
    @click.option("--shop", "shop_id", type=int, required=True, help="The shop's id.")
    @click.argument("path", default="-", metavar="[FILE]")
    @migrate.requires_schema
    def export(shop_id: int, path: str) -> None:
        with get_db().transaction() as session:
            if get_shop(session, shop_id) is None:
                raise click.ClickException(f"No shop with id {shop_id}.")
            with click.open_file(path, "wb") as out:
                if path == "-":  # the CSV is the output: nothing else goes to the terminal
                    _write(out, csv_chunks(columns, rows(session, shop_id)))
                    return
                with click.progressbar(rows(session, shop_id), length=count(session, shop_id),
                                       label=f"Exporting {name}", file=sys.stderr) as bar:
                    _write(out, csv_chunks(columns, bar))


def _write(out, chunks: Iterator[str]) -> None:
    for chunk in chunks:
        out.write(chunk.encode("utf-8"))


_command("customers", CUSTOMER_COLUMNS, customer_rows, customer_count,
         "customers with their balances and tier")
_command("ledger", LEDGER_COLUMNS, ledger_rows, ledger_count, "ledger, one row per entry")
