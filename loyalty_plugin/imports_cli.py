"""``loyalty import customers|revert|list``: CSV imports of customers with opening balances."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from . import migrate
from .db import get_db
from .errors import LoyaltyError
from .jobs.imports import CHUNK_SIZE, BatchRevert, CustomerImport
from .models import ImportBatch, utcnow
from .services.imports import FileCheck, check_file, list_batches
from .services.shops import get_shop


@click.group("import", cls=AppGroup)
def import_cli() -> None:
    """Import customers and opening balances from CSV; revert an import."""


@import_cli.command("customers")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option("--shop", "shop_id", type=int, required=True, help="The shop's id.")
@click.option("--dry-run", is_flag=True, help="Check the whole file and say what it would do.")
@click.option("--chunk-size", type=click.IntRange(1, 10_000), default=CHUNK_SIZE, show_default=True,
              help="Lines committed per transaction.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
@migrate.requires_schema
def import_customers(path: Path, shop_id: int, dry_run: bool, chunk_size: int, as_json: bool) -> None:
    """Import PATH (columns external_id, email, first_name, last_name, points, birthday) as one
    batch. The whole file is checked first; if any row is bad, every problem is listed and
    nothing is applied (exit 1). Running the same file again finishes an interrupted batch and
    never applies a line twice."""
    with get_db().transaction() as session:
        if get_shop(session, shop_id) is None:
            raise click.ClickException(f"No shop with id {shop_id}.")
    check = check_file(lambda: path.open("rb"), utcnow().date())
    if not check.ok:
        _report_problems(check, as_json)
        raise SystemExit(1)
    summary = {"rows": check.rows, "points_credited": check.points_credited,
               "points_debited": check.points_debited, "birthdays": check.birthdays}
    if dry_run:
        click.echo(json.dumps({"dry_run": True, **summary}) if as_json else
                   f"The file is valid: {check.rows} rows, {check.points_credited} points to credit, "
                   f"{check.points_debited} to debit. Nothing was applied (--dry-run).")
        return
    run = CustomerImport(get_db(), shop_id, lambda: path.open("rb"), filename=path.name,
                         check=check, chunk_size=chunk_size)
    try:
        with click.progressbar(run, length=check.rows, label="Importing", file=sys.stderr) as bar:
            for _ in bar:
                pass
    except LoyaltyError as exc:
        hint = (f" Batch {run.batch_id} can be resumed by running the same command again, or "
                f"reverted with `loyalty import revert {run.batch_id}`." if run.batch_id else "")
        raise click.ClickException(exc.message + hint) from None
    _report_batch(run.batch(), as_json, resumed=run.resumed)


@import_cli.command("revert")
@click.argument("batch_id", type=int)
@click.option("--shop", "shop_id", type=int, help="Refuse unless the batch belongs to this shop.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
@migrate.requires_schema
def import_revert(batch_id: int, shop_id: int | None, as_json: bool) -> None:
    """Take back everything import batch BATCH_ID applied, with compensating ledger entries.

    Imported points already spent are taken from the customer's other points; what an
    account lacks becomes debt when the shop allows a negative balance, else it is forgiven
    (clamp). Points that expired are not taken twice. Accounts the import created stay."""
    try:
        run = BatchRevert(get_db(), batch_id, shop_id=shop_id)
        with click.progressbar(run, length=run.rows, label="Reverting", file=sys.stderr) as bar:
            for _ in bar:
                pass
    except LoyaltyError as exc:
        raise click.ClickException(exc.message) from None
    _report_batch(run.batch(), as_json)


@import_cli.command("list")
@click.option("--shop", "shop_id", type=int, required=True, help="The shop's id.")
@migrate.requires_schema
def import_list(shop_id: int) -> None:
    """The shop's import batches, newest first."""
    with get_db().transaction() as session:
        batches = list_batches(session, shop_id)
    for batch in batches:
        click.echo(f"{batch.id:>6}  {batch.status.value:<9}  {batch.created_at:%Y-%m-%d %H:%M}  "
                   f"{batch.rows_applied}/{batch.rows_total} rows  {batch.filename}")
    if not batches:
        click.echo(f"Shop {shop_id} has no import batches.")


def batch_dict(batch: ImportBatch) -> dict:
    names = ("rows_total", "rows_applied", "accounts_created", "points_credited", "points_debited",
             "rows_reverted", "revert_debt", "revert_shortfall")
    return {"batch_id": batch.id, "shop_id": batch.shop_id, "status": batch.status.value,
            **{name: getattr(batch, name) for name in names}}


def _report_batch(batch: ImportBatch, as_json: bool, *, resumed: bool = False) -> None:
    data = batch_dict(batch)
    if as_json:
        click.echo(json.dumps({**data, "resumed": resumed}))
        return
    click.echo(f"Batch {batch.id} {batch.status.value}" + (" (resumed)" if resumed else "") + ": "
               + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in data.items()
                           if k not in ("batch_id", "shop_id", "status")) + ".")


def _report_problems(check: FileCheck, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"valid": False, "problem_count": check.problem_count, "problems": [
            {"line": p.line, "column": p.column, "message": p.message} for p in check.problems]}))
        return
    for problem in check.problems:
        click.echo(str(problem), err=True)
    more = check.problem_count - len(check.problems)
    if more:
        click.echo(f"... and {more} more.", err=True)
    click.echo(f"The file has {check.problem_count} problem(s); nothing was imported.", err=True)
