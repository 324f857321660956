"""The same jobs as Celery tasks, when ``LOYALTY_BROKER_URL`` names a broker."""
from __future__ import annotations

from celery import Celery
from flask import Flask

from ..db import get_db
from ..models import utcnow
from .registry import all_jobs, run_job

TASK_PREFIX = "loyalty."


def task_name(job_name: str) -> str:
    return TASK_PREFIX + job_name


def make_celery(app: Flask) -> Celery:
    """A Celery app whose tasks run the registered jobs inside ``app``'s context."""
    url = app.config["LOYALTY_BROKER_URL"]
    celery = Celery("loyalty", broker=url, backend=url, set_as_current=False)
    celery.conf.update(
        timezone="UTC",
        # A job is safe to run twice, so a task is acknowledged only once it finished:
        # a worker that dies mid-batch leaves it for another.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue="loyalty",
        broker_connection_retry_on_startup=True,
        result_expires=3600,
        beat_schedule={job.name: {"task": task_name(job.name), "schedule": job.every.total_seconds()}
                       for job in all_jobs(app).values()},
    )
    for name in all_jobs(app):
        _define_task(celery, app, name)
    return celery


def _define_task(celery: Celery, app: Flask, name: str) -> None:
    @celery.task(name=task_name(name))
    def run() -> int:
        with app.app_context():
            return run_job(app, get_db(), name, utcnow())
