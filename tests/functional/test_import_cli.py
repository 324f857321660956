"""``loyalty import customers|revert``: a bad file applies nothing and names every problem; a
good one applies once, resumes after a failure, and reverts to the balances before."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select, update

from loyalty_plugin.events import CustomerRef
from loyalty_plugin.models import (CustomerAccount, EntryKind, ImportBatch, ImportRow, ImportStatus,
                                   LedgerEntry, utcnow)
from loyalty_plugin.services import imports
from loyalty_plugin.services.accounts import find_by_external_id, resolve_account
from loyalty_plugin.services.birthdays import set_birthday
from tests.factories import make_shop

GOOD = (
    "external_id,email,first_name,last_name,points,birthday\n"
    "1001,ann@example.com,Ann,Lee,500,1990-04-01\n"
    ",guest@example.com,,,120,\n"
    "1003,,Cy,,0,12-24\n"
    "1004,dee@example.com,Dee,,-50,\n"
    "1005,known@example.com,,,75,\n"
)

BAD = (
    "external_id,email,points,birthday\n"
    "1,a@example.com,10,\n"
    "2,not-an-email,10,\n"
    "3,c@example.com,ten,\n"
    ",,5,\n"
    "1,d@example.com,5,\n"
    "6,e@example.com,5,2099-01-01\n"
    "7,f@example.com,5\n"
    "8,g@example.com,99999999999,\n"
)


def write(tmp_path, text: str, name: str = "customers.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=list(args), **kwargs)


def balances(session, shop) -> dict[str, int]:
    rows = session.execute(select(CustomerAccount.platform_customer_id, CustomerAccount.email,
                                  CustomerAccount.available)
                           .where(CustomerAccount.shop_id == shop.id)).all()
    return {external or email: available for external, email, available in rows}


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_file_with_bad_rows_reports_every_one_and_applies_nothing(app, session, tmp_path):
    shop, _ = make_shop(session)
    result = run(app, "import", "customers", str(write(tmp_path, BAD)), "--shop", str(shop.id),
                 "--json")

    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [(p["line"], p["column"]) for p in report["problems"]] == [
        (3, "email"), (4, "points"), (5, "external_id"), (6, "external_id"), (7, "birthday"),
        (8, None), (9, "points")]
    assert report["problems"][3]["message"] == "the same customer as line 2"
    assert report["problems"][5]["message"] == "3 fields where the header has 4"
    assert (count(session, CustomerAccount), count(session, LedgerEntry),
            count(session, ImportBatch)) == (0, 0, 0)


def test_the_text_report_names_line_column_and_problem(app, session, tmp_path):
    shop, _ = make_shop(session)
    result = run(app, "import", "customers", str(write(tmp_path, BAD)), "--shop", str(shop.id))
    assert result.exit_code == 1
    assert "line 3, email: 'not-an-email' is not an email address" in result.output
    assert "The file has 7 problem(s); nothing was imported." in result.output


def test_a_bad_header_is_one_clear_problem(app, session, tmp_path):
    shop, _ = make_shop(session)
    path = write(tmp_path, "id,mail,balance\n1,a@b.co,5\n")
    result = run(app, "import", "customers", str(path), "--shop", str(shop.id))
    assert result.exit_code == 1
    assert "line 1, id: unknown column" in result.output
    assert "the header needs a points column" in result.output


def test_a_good_file_applies_once_matching_accounts_by_external_id_then_email(
        app, session, tmp_path):
    shop, _ = make_shop(session)
    known = resolve_account(session, shop, CustomerRef(email="known@example.com"), utcnow())
    registered = resolve_account(session, shop, CustomerRef(platform_id="1001"), utcnow())
    session.commit()
    path = write(tmp_path, GOOD)

    first = run(app, "import", "customers", str(path), "--shop", str(shop.id), "--json")

    assert first.exit_code == 0, first.output
    outcome = json.loads(first.output.splitlines()[-1])
    assert outcome["status"] == "applied"
    assert (outcome["rows_applied"], outcome["accounts_created"]) == (5, 3)
    assert (outcome["points_credited"], outcome["points_debited"]) == (695, 50)
    session.expire_all()
    assert balances(session, shop) == {"1001": 500, "guest@example.com": 120, "1003": 0,
                                       "1004": -50, "1005": 75}
    assert session.get(CustomerAccount, registered.id).email == "ann@example.com"
    # The guest account of known@example.com was joined to customer 1005, not duplicated.
    assert session.get(CustomerAccount, known.id).platform_customer_id == "1005"
    entries = session.execute(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.IMPORT)).scalars().all()
    batch_id = outcome["batch_id"]
    assert sorted(e.source_ref for e in entries) == [f"{batch_id}:{line}" for line in (2, 3, 5, 6)]
    # The debt-free shop allows negative balances: customer 1004 owes 50.
    dee = session.execute(select(LedgerEntry).where(LedgerEntry.source_ref == f"{batch_id}:5")).scalar_one()
    assert (dee.points, dee.remaining) == (-50, 50)

    again = run(app, "import", "customers", str(path), "--shop", str(shop.id))

    assert again.exit_code == 1 and f"imported already as batch {batch_id}" in again.output
    assert count(session, ImportBatch) == 1 and count(session, LedgerEntry) == len(entries)
    verify = run(app, "ledger", "verify", "--shop", str(shop.id))
    assert verify.exit_code == 0, verify.output


def test_dry_run_checks_and_applies_nothing(app, session, tmp_path):
    shop, _ = make_shop(session)
    result = run(app, "import", "customers", str(write(tmp_path, GOOD)), "--shop", str(shop.id),
                 "--dry-run")
    assert result.exit_code == 0
    assert "The file is valid: 5 rows, 695 points to credit, 50 to debit" in result.output
    assert (count(session, CustomerAccount), count(session, ImportBatch)) == (0, 0)


def test_a_run_that_fails_part_way_resumes_without_applying_a_line_twice(
        app, session, tmp_path, monkeypatch):
    shop, _ = make_shop(session)
    path = write(tmp_path, GOOD)
    real = imports.apply_lines
    calls = []

    def failing_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr("loyalty_plugin.jobs.imports.apply_lines", failing_second_chunk)
    failed = run(app, "import", "customers", str(path), "--shop", str(shop.id), "--chunk-size", "2")
    assert failed.exit_code == 1
    batch = session.execute(select(ImportBatch)).scalar_one()
    assert (batch.status, batch.last_line, batch.rows_applied) == (ImportStatus.FAILED, 3, 2)
    assert "database went away" in batch.error

    monkeypatch.setattr("loyalty_plugin.jobs.imports.apply_lines", real)
    resumed = run(app, "import", "customers", str(path), "--shop", str(shop.id), "--chunk-size", "2",
                  "--json")

    assert resumed.exit_code == 0, resumed.output
    outcome = json.loads(resumed.output.splitlines()[-1])
    assert outcome["resumed"] is True and outcome["batch_id"] == batch.id
    assert (outcome["rows_applied"], outcome["points_credited"]) == (5, 695)
    assert count(session, ImportRow) == 5
    session.expire_all()
    assert balances(session, shop)["1001"] == 500


def test_revert_restores_the_balances_and_the_ledger_still_verifies(app, session, tmp_path):
    shop, _ = make_shop(session)
    resolve_account(session, shop, CustomerRef(platform_id="1001"), utcnow())
    session.commit()
    before = balances(session, shop)
    path = write(tmp_path, GOOD)
    batch_id = json.loads(run(app, "import", "customers", str(path), "--shop", str(shop.id),
                              "--json").output.splitlines()[-1])["batch_id"]

    reverted = run(app, "import", "revert", str(batch_id), "--json")

    assert reverted.exit_code == 0, reverted.output
    outcome = json.loads(reverted.output.splitlines()[-1])
    assert (outcome["status"], outcome["rows_reverted"], outcome["revert_debt"]) == ("reverted", 5, 0)
    session.expire_all()
    after = balances(session, shop)
    assert after["1001"] == before["1001"] == 0
    assert set(after.values()) == {0}
    assert run(app, "ledger", "verify").exit_code == 0
    twice = run(app, "import", "revert", str(batch_id))
    assert twice.exit_code == 1 and "reverted already" in twice.output
    # Reverted, the same file may be imported again, as a new batch.
    again = run(app, "import", "customers", str(path), "--shop", str(shop.id), "--json")
    assert again.exit_code == 0 and json.loads(again.output.splitlines()[-1])["batch_id"] != batch_id


def test_revert_of_another_shops_batch_or_an_unknown_one_is_refused(app, session, tmp_path):
    shop, _ = make_shop(session)
    other, _ = make_shop(session)
    batch_id = json.loads(run(app, "import", "customers", str(write(tmp_path, GOOD)), "--shop",
                              str(shop.id), "--json").output.splitlines()[-1])["batch_id"]
    wrong = run(app, "import", "revert", str(batch_id), "--shop", str(other.id))
    assert wrong.exit_code == 1 and f"No import batch {batch_id} in shop {other.id}" in wrong.output
    assert run(app, "import", "revert", "999999").exit_code == 1
    listed = run(app, "import", "list", "--shop", str(shop.id))
    assert f"{batch_id}  applied" in listed.output and "5/5 rows  customers.csv" in listed.output


def birthday(session, shop, external_id: str) -> tuple:
    account = find_by_external_id(session, shop.id, external_id)
    return account.birth_year, account.birth_month, account.birth_day


def test_birthdays_are_stored_where_none_was_given_and_a_revert_clears_only_those(app, session, tmp_path):
    shop, _ = make_shop(session)
    given = resolve_account(session, shop, CustomerRef(platform_id="1003"), utcnow())
    set_birthday(session, shop, given, month=7, day=14, year=None, now=utcnow())
    session.commit()
    batch_id = json.loads(run(app, "import", "customers", str(write(tmp_path, GOOD)), "--shop",
                              str(shop.id), "--json").output.splitlines()[-1])["batch_id"]

    session.expire_all()
    assert birthday(session, shop, "1001") == (1990, 4, 1)
    assert birthday(session, shop, "1003") == (None, 7, 14)  # the customer's own date stays
    assert birthday(session, shop, "1004") == (None, None, None)

    # Changed since the import: the revert leaves it.
    ann = find_by_external_id(session, shop.id, "1001")
    session.execute(update(CustomerAccount).where(CustomerAccount.id == ann.id).values(
        birthday_set_at=utcnow() + dt.timedelta(seconds=1)))
    session.commit()
    assert run(app, "import", "revert", str(batch_id)).exit_code == 0
    session.expire_all()
    assert birthday(session, shop, "1001") == (1990, 4, 1)
    assert birthday(session, shop, "1003") == (None, 7, 14)


def test_a_revert_clears_an_imported_birthday_nobody_changed(app, session, tmp_path):
    shop, _ = make_shop(session)
    session.commit()
    batch_id = json.loads(run(app, "import", "customers", str(write(tmp_path, GOOD)), "--shop",
                              str(shop.id), "--json").output.splitlines()[-1])["batch_id"]
    session.expire_all()
    assert birthday(session, shop, "1003") == (None, 12, 24)
    assert run(app, "import", "revert", str(batch_id)).exit_code == 0
    session.expire_all()
    assert birthday(session, shop, "1001") == birthday(session, shop, "1003") == (None, None, None)


def test_a_birthday_the_birthday_api_would_refuse_is_a_bad_row(app, session, tmp_path):
    shop, _ = make_shop(session)
    session.commit()
    path = write(tmp_path, "external_id,points,birthday\n1,0,1899-05-01\n2,0,2023-02-29\n")
    outcome = run(app, "import", "customers", str(path), "--shop", str(shop.id), "--json")
    assert outcome.exit_code == 1
    problems = json.loads(outcome.output.splitlines()[-1])["problems"]
    assert [(p["line"], p["column"]) for p in problems] == [(2, "birthday"), (3, "birthday")]
