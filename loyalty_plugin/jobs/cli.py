"""`loyalty jobs ...`, `loyalty worker` and `loyalty scheduler`."""
from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from .. import migrate
from ..db import get_db
from ..models import utcnow
from ..services.mailer import InvalidSmtpUrl
from .registry import all_jobs, run_job


@click.group("jobs", cls=AppGroup)
def jobs_cli() -> None:
    """Scheduled work: run it inline, or hand it to the Celery workers."""


@jobs_cli.command("list")
def jobs_list() -> None:
    """The jobs, how often the scheduler starts them, and what they do."""
    for job in all_jobs(current_app).values():
        click.echo(f"{job.name:<16} every {job.every}  {job.description}")


@jobs_cli.command("run-due")
@migrate.requires_schema
def jobs_run_due() -> None:
    """Run every job now, inline, until nothing is left (the cron entry point)."""
    for name in all_jobs(current_app):
        click.echo(f"{name}: {_run(name)}")


@jobs_cli.command("run")
@click.argument("name")
@migrate.requires_schema
def jobs_run(name: str) -> None:
    """Run one job now, inline."""
    _known(name)
    click.echo(f"{name}: {_run(name)}")


@jobs_cli.command("enqueue")
@click.argument("name")
def jobs_enqueue(name: str) -> None:
    """Hand one job to the Celery workers."""
    _known(name)
    from .broker import task_name

    result = _celery().send_task(task_name(name))
    click.echo(f"queued {name} as task {result.id}")


@click.command("worker")
@click.option("--concurrency", type=int, default=None, help="Worker processes (default: cores).")
@click.option("--loglevel", default="INFO", show_default=True)
@with_appcontext
@migrate.requires_schema
def worker(concurrency: int | None, loglevel: str) -> None:
    """Start a Celery worker that runs the jobs (needs LOYALTY_BROKER_URL)."""
    argv = ["worker", f"--loglevel={loglevel}", "--queues=loyalty",
            f"--concurrency={concurrency or os.cpu_count() or 1}"]
    get_db().engine.dispose()  # each forked worker process opens its own connections
    _celery().worker_main(argv=argv)


@click.command("scheduler")
@click.option("--loglevel", default="INFO", show_default=True)
@with_appcontext
def scheduler(loglevel: str) -> None:
    """Start Celery beat, which queues each job on its schedule (needs LOYALTY_BROKER_URL)."""
    schedule_file = os.path.join(current_app.instance_path, "celerybeat-schedule")
    os.makedirs(current_app.instance_path, exist_ok=True)
    _celery().start(argv=["beat", f"--loglevel={loglevel}", f"--schedule={schedule_file}"])


def _run(name: str) -> int:
    try:
        return run_job(current_app, get_db(), name, utcnow())
    except InvalidSmtpUrl as exc:  # its message never carries the password
        raise click.ClickException(str(exc)) from None


def _known(name: str) -> None:
    if name not in all_jobs(current_app):
        raise click.BadParameter(f"unknown job {name!r}; see `loyalty jobs list`", param_hint="NAME")


def _celery():
    if not current_app.config["LOYALTY_BROKER_URL"]:
        raise click.ClickException("Set LOYALTY_BROKER_URL (e.g. redis://127.0.0.1:6379/0) to use "
                                   "Celery; without it, run `loyalty jobs run-due` from cron.")
    from .broker import make_celery

    return make_celery(current_app)
