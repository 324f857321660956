"""CSV import of customers with opening balances: upload, every bad row reported, apply
as one batch, and revert a batch as a whole.

An uploaded file waits in the instance folder, under the shop's id and the file's
SHA-256, between its check and the owner's "apply": the apply checks it again and
the import service refuses a file that was applied already.
"""
from __future__ import annotations

import re
import secrets
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, request, url_for

from ..db import get_db, get_session
from ..errors import BadRequest, Conflict, NotFound
from ..jobs.imports import BatchRevert, CustomerImport
from ..models import ImportBatch, utcnow
from ..services.imports import check_file, list_batches
from .guard import current_shop
from .pages import page

bp = Blueprint("imports", __name__)

SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_FILENAME = 255


def upload_dir(shop_id: int) -> Path:
    return Path(current_app.instance_path) / "dashboard-imports" / str(shop_id)


def waiting_file(shop_id: int, sha256: str) -> Path:
    if not SHA256.match(sha256):
        raise BadRequest("The upload reference is not valid; upload the file again.")
    path = upload_dir(shop_id) / f"{sha256}.csv"
    if not path.is_file():
        raise NotFound("That upload is gone (applied, or too old); upload the file again.")
    return path


def batches(shop_id: int) -> list[ImportBatch]:
    return list_batches(get_session(), shop_id, limit=50)


@bp.get("/import")
def index():
    return page("imports.html", batches=batches(current_shop().id), check=None)


@bp.post("/import")
def upload():
    shop = current_shop()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose a CSV file to upload.", "error")
        return redirect(url_for(".index"), 303)
    directory = upload_dir(shop.id)
    directory.mkdir(parents=True, exist_ok=True)
    staging = directory / f"upload-{secrets.token_hex(8)}.part"
    upload.save(staging)
    check = check_file(lambda: staging.open("rb"), utcnow().date())
    if not check.ok:
        staging.unlink()
        return page("imports.html", 422, batches=batches(shop.id), check=check,
                    filename=upload.filename[:MAX_FILENAME])
    staging.replace(directory / f"{check.sha256}.csv")
    return page("imports.html", batches=batches(shop.id), check=check,
                filename=upload.filename[:MAX_FILENAME])


@bp.post("/import/apply")
def apply():
    shop = current_shop()
    path = waiting_file(shop.id, request.form.get("sha256", ""))
    check = check_file(lambda: path.open("rb"), utcnow().date())
    if not check.ok:
        path.unlink(missing_ok=True)
        raise BadRequest("The stored file no longer passes its check; upload it again.")
    filename = (request.form.get("filename") or path.name)[:MAX_FILENAME]
    run = CustomerImport(get_db(), shop.id, lambda: path.open("rb"), filename=filename, check=check)
    # The run commits chunk by chunk in transactions of its own: this request holds none meanwhile.
    get_session().commit()
    try:
        for _ in run:
            pass
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for(".index"), 303)
    path.unlink(missing_ok=True)
    batch = run.batch()
    flash(f"Batch {batch.id} applied: {batch.rows_applied} rows, {batch.accounts_created} new "
          f"customers, {batch.points_credited} points credited, {batch.points_debited} debited.")
    return redirect(url_for(".index"), 303)


@bp.post("/import/batches/<int:batch_id>/revert")
def revert(batch_id: int):
    shop_id = current_shop().id
    get_session().commit()  # as for apply: the revert's own transactions do the work
    try:
        run = BatchRevert(get_db(), batch_id, shop_id=shop_id)
        for _ in run:
            pass
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for(".index"), 303)
    batch = run.batch()
    flash(f"Batch {batch.id} reverted: {batch.rows_reverted} rows taken back.")
    return redirect(url_for(".index"), 303)
