"""Scheduled and background work.

Every job is a plain function of the database and the time, run in batches, one
transaction per batch, until a batch finds nothing to do. Without a broker the
jobs run inline (``loyalty jobs run-due`` from cron); with ``LOYALTY_BROKER_URL``
the same functions run as Celery tasks (``loyalty worker``, ``loyalty scheduler``).
"""
