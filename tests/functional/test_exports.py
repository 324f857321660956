"""CSV exports, by command and by API: streamed, formula-safe, and only ever the shop's own rows."""
from __future__ import annotations

import csv
import io

from loyalty_plugin.events import CustomerRef
from loyalty_plugin.models import ApiKeyScope, CustomerAccount, EntryKind, EntrySource, utcnow
from loyalty_plugin.services import ledger
from loyalty_plugin.services.accounts import resolve_account
from loyalty_plugin.services.api_keys import create_api_key
from loyalty_plugin.services.exports import CUSTOMER_COLUMNS, LEDGER_COLUMNS, csv_chunks, neutralise
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.factories import make_order, make_shop


def parse(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def seeded(session):
    """Two shops; the first has a customer whose names and reason are spreadsheet formulas."""
    shop, key = make_shop(session)
    other, other_key = make_shop(session)
    now = utcnow()
    risky = resolve_account(session, shop, CustomerRef(platform_id="-42", email="ann@example.com",
                                                       first_name="=HYPERLINK(\"http://x\")",
                                                       last_name="+SUM(A1)"), now)
    ledger.credit(session, risky.id, kind=EntryKind.ADJUSTMENT, points=80, source=EntrySource.API,
                  source_ref="@ref", key="k1", now=now, reason="@cmd|' /C calc'!A0",
                  actor="API key Zapier")
    ledger.debit(session, risky.id, kind=EntryKind.ADJUSTMENT, points=30, source=EntrySource.API,
                 source_ref="r2", key="k2", now=now, shortfall=ledger.Shortfall.FAIL, reason="-fix")
    apply_order_snapshot(session, shop, make_order("9001", customer_id="-42", email="ann@example.com",
                                                     items="20.00"), now)
    stranger = resolve_account(session, other, CustomerRef(platform_id="777", email="x@other.com"), now)
    ledger.credit(session, stranger.id, kind=EntryKind.ADJUSTMENT, points=5, source=EntrySource.API,
                  source_ref="other", key="k3", now=now, reason="other shop")
    session.commit()
    return shop, key, other, other_key


def test_customer_export_neutralises_formulas_and_keeps_numbers(client, session):
    shop, key, _, _ = seeded(session)
    response = client.get("/api/v1/exports/customers.csv", headers={"Authorization": f"Bearer {key}"})

    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert f'filename="customers-shop{shop.id}.csv"' in response.headers["Content-Disposition"]
    (row,) = parse(response.get_data(as_text=True))
    assert list(row) == list(CUSTOMER_COLUMNS)
    assert row["external_id"] == "'-42"
    assert (row["first_name"], row["last_name"]) == ("'=HYPERLINK(\"http://x\")", "'+SUM(A1)")
    assert (row["email"], row["available"], row["lifetime"]) == ("ann@example.com", "70", "70")


def test_ledger_export_is_the_shops_entries_in_order_with_their_orders(client, session):
    shop, key, _, _ = seeded(session)
    response = client.get("/api/v1/exports/ledger.csv", headers={"Authorization": f"Bearer {key}"})

    rows = parse(response.get_data(as_text=True))
    assert list(rows[0]) == list(LEDGER_COLUMNS)
    assert [(r["kind"], r["points"], r["order_id"]) for r in rows] == [
        ("adjustment", "80", ""), ("adjustment", "-30", ""), ("earn", "20", "9001")]
    assert rows[0]["reason"] == "'@cmd|' /C calc'!A0" and rows[0]["source_ref"] == "'@ref"
    assert rows[1]["reason"] == "'-fix"
    assert [r["actor"] for r in rows] == ["API key Zapier", "", ""]
    assert all(r["external_id"] == "'-42" for r in rows)
    assert "other shop" not in response.get_data(as_text=True)


def test_exports_need_a_key_and_show_only_the_keys_shop(client, session):
    shop, _, other, other_key = seeded(session)
    for path in ("/api/v1/exports/customers.csv", "/api/v1/exports/ledger.csv"):
        assert client.get(path).status_code == 401
        bad = client.get(path, headers={"Authorization": "Bearer lk_not-a-key"})
        assert bad.status_code == 401 and bad.json["error"]["code"] == "unauthorized"
        text = client.get(path, headers={"Authorization": f"Bearer {other_key}"}).get_data(as_text=True)
        assert "777" in text and "ann@example.com" not in text and "-42" not in text
    read_only = create_api_key(session, shop.id, name="ro", now=utcnow(), scope=ApiKeyScope.READ_ONLY)
    session.commit()
    ok = client.get("/api/v1/exports/customers.csv", headers={"Authorization": f"Bearer {read_only}"})
    assert ok.status_code == 200 and "ann@example.com" in ok.get_data(as_text=True)


def test_a_large_export_leaves_in_several_chunks(client, session):
    shop, key = make_shop(session)
    now = utcnow()
    session.add_all(CustomerAccount(shop_id=shop.id, platform_customer_id=str(i), email=None,
                                    available=i, pending=0, lifetime=i, created_at=now, updated_at=now)
                    for i in range(1, 1202))
    session.commit()
    response = client.get("/api/v1/exports/customers.csv", headers={"Authorization": f"Bearer {key}"},
                          buffered=False)
    chunks = list(response.response)
    response.close()
    assert len(chunks) == 3  # the header with 500 rows, 500 rows, 201 rows
    rows = parse("".join(c.decode() if isinstance(c, bytes) else c for c in chunks))
    assert len(rows) == 1201 and rows[-1]["external_id"] == "1201"


def test_csv_chunks_neutralise_only_text():
    chunks = list(csv_chunks(("a", "b", "c"), [("=1+1", -5, None), ("\tx", True, "plain")],
                             rows_per_chunk=1))
    assert chunks == ["a,b,c\r\n'=1+1,-5,\r\n", "'\tx,true,plain\r\n"]
    assert list(csv_chunks(("a",), [])) == ["a\r\n"]
    assert [neutralise(v) for v in ("=", "+", "-", "@", "\r", "a=b", "")] == [
        "'=", "'+", "'-", "'@", "'\r", "a=b", ""]


def test_cli_exports_to_a_file_and_to_stdout(app, session, tmp_path):
    shop, _, other, _ = seeded(session)
    runner = app.test_cli_runner()
    target = tmp_path / "customers.csv"

    to_file = runner.invoke(args=["export", "customers", "--shop", str(shop.id), str(target)])
    to_stdout = runner.invoke(args=["export", "ledger", "--shop", str(other.id)])

    assert to_file.exit_code == 0 and to_stdout.exit_code == 0, to_file.output + to_stdout.output
    # Progress goes with a file; on stdout the CSV is all there is.
    assert "Exporting customers" in to_file.output and "Exporting" not in to_stdout.output
    (row,) = parse(target.read_text(encoding="utf-8"))
    assert row["first_name"].startswith("'=")
    ledger_rows = parse(to_stdout.output)
    assert [(r["external_id"], r["points"]) for r in ledger_rows] == [("777", "5")]
    missing = runner.invoke(args=["export", "ledger", "--shop", "999999"])
    assert missing.exit_code == 1 and "No shop with id 999999" in missing.output
