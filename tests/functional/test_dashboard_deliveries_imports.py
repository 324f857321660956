"""The dashboard's deliveries log with replay, and the CSV import: check, apply, revert."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from loyalty_plugin.models import EntryKind, ImportBatch, ImportStatus, InboundDelivery, LedgerEntry
from loyalty_plugin.services.accounts import find_by_external_id
from tests.dashboard_support import post, shop_with_owner, signed_in_client
from tests.factories import post_shopify, shopify_order

IMPORT = "/admin/import"
GOOD_CSV = (b"external_id,email,first_name,last_name,points,birthday\n"
            b"imp-1,ann@example.com,Ann,Lee,250,1990-04-02\n"
            b"imp-2,,Ben,,75,\n")
BAD_CSV = (b"external_id,email,points\n"
           b"imp-1,ann@example.com,5\n"
           b"imp-2,ben@example.com,lots\n"
           b",,10\n"
           b"imp-1,ann@example.com,7\n")


@pytest.fixture
def shop(session):
    return shop_with_owner(session)


@pytest.fixture
def client(app, shop):
    return signed_in_client(app, shop)


def upload(client, content: bytes, name: str = "customers.csv"):
    return post(client, IMPORT, {"file": (io.BytesIO(content), name)}, page=IMPORT,
                content_type="multipart/form-data")


def test_failed_deliveries_are_filtered_and_replayed_once(app, client, session, shop, monkeypatch):
    webhook = app.test_client()

    def explode(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("webhooks.pipeline.apply_event", explode)
    assert post_shopify(webhook, shop, "orders/paid", shopify_order(customer_id=21),
                        webhook_id="f1").status_code == 500
    monkeypatch.undo()
    assert post_shopify(webhook, shop, "orders/paid", shopify_order(customer_id=22),
                        webhook_id="ok1").status_code == 200
    failed = client.get("/admin/deliveries?status=failed").get_data(as_text=True)
    assert "database went away" in failed and "ok1" not in failed
    assert client.get("/admin/deliveries?status=nonsense").status_code == 400

    row = session.execute(select(InboundDelivery).where(InboundDelivery.delivery_id == "f1")).scalar_one()
    for _ in range(2):
        response = post(client, f"/admin/deliveries/{row.id}/replay", {"status": "failed"},
                        page="/admin/deliveries")
        assert response.status_code == 303
    assert "status=failed" in response.headers["Location"]
    session.expire_all()
    assert find_by_external_id(session, shop.id, "21").available == 100
    assert "replayed: processed" in client.get("/admin/deliveries").get_data(as_text=True)
    assert post(client, "/admin/deliveries/987654/replay", page="/admin/deliveries").status_code == 404


def test_a_bad_file_reports_every_bad_row_and_applies_nothing(client, session, shop):
    response = upload(client, BAD_CSV)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "has 3 problems; nothing was applied" in page
    assert page.count("<tr><td class=\"num\">") == 3
    assert "the same customer as line 2" in page
    assert session.execute(select(ImportBatch)).first() is None


def test_a_good_file_is_applied_as_one_batch_and_reverted_as_a_whole(client, session, shop):
    checked = upload(client, GOOD_CSV)
    assert checked.status_code == 200
    page = checked.get_data(as_text=True)
    assert "customers.csv is valid" in page and "2 rows: 325 points to credit" in page
    sha = page.split('name="sha256" value="')[1].split('"')[0]
    applied = post(client, f"{IMPORT}/apply", {"sha256": sha, "filename": "customers.csv"}, page=IMPORT)
    assert applied.status_code == 303
    batch = session.execute(select(ImportBatch).where(ImportBatch.shop_id == shop.id)).scalar_one()
    assert (batch.status, batch.rows_applied, batch.points_credited) == (ImportStatus.APPLIED, 2, 325)
    entries = session.execute(select(LedgerEntry.source_ref).where(LedgerEntry.kind == EntryKind.IMPORT)).scalars()
    assert sorted(entries) == [f"{batch.id}:2", f"{batch.id}:3"]
    listing = client.get(IMPORT).get_data(as_text=True)
    assert f"Batch {batch.id} applied: 2 rows" in listing
    # The same file again is refused, not applied twice.
    upload(client, GOOD_CSV)
    again = post(client, f"{IMPORT}/apply", {"sha256": sha, "filename": "customers.csv"}, page=IMPORT)
    assert again.status_code == 303 and "imported already" in client.get(IMPORT).get_data(as_text=True)

    reverted = post(client, f"{IMPORT}/batches/{batch.id}/revert", page=IMPORT)
    assert reverted.status_code == 303
    session.expire_all()
    assert find_by_external_id(session, shop.id, "imp-1").available == 0
    assert session.get(ImportBatch, batch.id).status is ImportStatus.REVERTED
    twice = post(client, f"{IMPORT}/batches/{batch.id}/revert", page=IMPORT)
    assert twice.status_code == 303 and "reverted already" in client.get(IMPORT).get_data(as_text=True)


def test_apply_needs_a_known_upload(client):
    assert post(client, f"{IMPORT}/apply", {"sha256": "../../etc/passwd"}, page=IMPORT).status_code == 400
    assert post(client, f"{IMPORT}/apply", {"sha256": "a" * 64}, page=IMPORT).status_code == 404
    assert post(client, f"{IMPORT}/batches/424242/revert", page=IMPORT).status_code == 404
    missing = post(client, IMPORT, page=IMPORT)
    assert missing.status_code == 303
