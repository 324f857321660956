"""The jobs on a real Redis broker, run by a real `loyalty worker` process."""
from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from loyalty_plugin.db import Database, make_engine
from loyalty_plugin.jobs.broker import make_celery, task_name
from loyalty_plugin.migrate import upgrade
from loyalty_plugin.models import utcnow
from loyalty_plugin.services.accounts import find_by_external_id
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.conftest import make_test_app
from tests.factories import make_order, make_shop

# A database number of its own, emptied before the test, so no one else's keys are touched.
REDIS_URL = os.environ.get("LOYALTY_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
TIMEOUT = 60


def redis_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not redis_is_up(), reason="needs Redis on 127.0.0.1:6379")


@pytest.fixture
def worker_setup(tmp_path):
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    engine = make_engine(url)
    upgrade(engine)
    database = Database(engine)
    app = make_test_app(database, LOYALTY_DATABASE_URL=url, LOYALTY_BROKER_URL=REDIS_URL)
    celery = make_celery(app)
    celery.connection_for_write().default_channel.client.flushdb()
    env = {**os.environ, "LOYALTY_DATABASE_URL": url, "LOYALTY_BROKER_URL": REDIS_URL,
           "LOYALTY_SECRET_KEY": "test"}
    loyalty = Path(sys.executable).with_name("loyalty")
    log = open(tmp_path / "worker.log", "wb")
    proc = subprocess.Popen([str(loyalty), "worker", "--concurrency=1", "--loglevel=INFO"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield database, celery
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        engine.dispose()
        print((tmp_path / "worker.log").read_text()[-2000:])


def test_a_queued_job_is_run_by_the_worker_and_a_second_run_changes_nothing(worker_setup):
    database, celery = worker_setup
    with database.transaction() as session:
        shop, _ = make_shop(session, pending_days=14)
        apply_order_snapshot(session, shop, make_order("late", customer_id="77", items="30"),
                             utcnow() - dt.timedelta(days=15))
        shop_id = shop.id

    first = celery.send_task(task_name("mature_points")).get(timeout=TIMEOUT)
    second = celery.send_task(task_name("mature_points")).get(timeout=TIMEOUT)

    assert (first, second) == (1, 0)
    with database.transaction() as session:
        account = find_by_external_id(session, shop_id, "77")
        assert (account.available, account.pending) == (30, 0)
