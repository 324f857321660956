import pytest
from sqlalchemy.engine import make_url

from loyalty_plugin.server import MAX_WORKERS, database_is_local, default_workers


@pytest.mark.parametrize("url", [
    "sqlite:///instance/loyalty.db",
    "sqlite://",
    "postgresql+psycopg://postgres@127.0.0.1:5432/loyalty",
    "postgresql+psycopg://postgres@localhost/loyalty",
    "postgresql+psycopg://postgres@[::1]:5432/loyalty",
    "postgresql+psycopg://postgres@/loyalty",
    "postgresql+psycopg://postgres@/loyalty?host=/var/run/postgresql",
    "postgresql+psycopg://postgres@/loyalty?host=/run/a,/run/b",
])
def test_a_file_a_socket_or_loopback_is_local(url):
    assert database_is_local(make_url(url))


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://postgres@db.internal:5432/loyalty",
    "postgresql+psycopg://postgres@10.0.0.5/loyalty",
    "postgresql+psycopg://postgres@/loyalty?host=db.internal",
    "postgresql+psycopg://postgres@/loyalty?host=/var/run/postgresql,db.internal",
])
def test_any_other_host_is_remote(url):
    assert not database_is_local(make_url(url))


@pytest.mark.parametrize(("cores", "workers"), [(1, 2), (2, 2), (4, 4), (16, MAX_WORKERS)])
def test_a_local_database_gets_one_worker_per_core(cores, workers):
    assert default_workers(make_url("postgresql+psycopg://postgres@127.0.0.1/loyalty"), cores) == workers


@pytest.mark.parametrize(("cores", "workers"), [(1, 3), (2, 5), (4, 9), (16, MAX_WORKERS)])
def test_a_remote_database_gets_workers_to_cover_its_waits(cores, workers):
    assert default_workers(make_url("postgresql+psycopg://postgres@db.internal/loyalty"), cores) == workers
