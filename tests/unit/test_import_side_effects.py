"""Importing the service's code does nothing but define things.

Every module of ``loyalty_plugin``, ``webhooks`` and ``widgets`` is imported in a
fresh interpreter, with an audit hook watching for connections and writes, a spy
on ``os.environ`` and garbage settings in the ``LOYALTY_*`` variables: engines,
sockets, files and settings belong to ``create_app``, not to import time.

``loyalty_plugin.migrations`` (and its ``versions``) is left out on purpose: its
``env.py`` is Alembic's environment script and runs the migrations when imported.
(In the source tree it lives in the top-level ``migrations/`` folder, so the walk
would not find it anyway; in an installed wheel it sits inside the package.)
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

PACKAGES = ("loyalty_plugin", "webhooks", "widgets")
SKIPPED = "loyalty_plugin.migrations"

# Values that would fail (or try to connect) if anything parsed them at import time.
HOSTILE_ENV = {
    "LOYALTY_DATABASE_URL": "not-a-dialect://nobody@203.0.113.1:1/nowhere",
    "LOYALTY_DB_POOL_SIZE": "not-a-number",
    "LOYALTY_DB_MAX_OVERFLOW": "not-a-number",
    "LOYALTY_MAX_BODY_BYTES": "lots",
    "LOYALTY_SCHEMA_CHECK": "perhaps",
    "LOYALTY_LOG_LEVEL": "NOT_A_LEVEL",
    "LOYALTY_SECRET_KEY": "import-time-secret",
    "LOYALTY_PUBLIC_URL": "not a url",
}

SCRIPT = textwrap.dedent('''
    import sys, os
    WATCHED = {"socket.connect", "socket.bind", "socket.getaddrinfo", "socket.gethostbyname",
               "sqlite3.connect", "sqlite3.connect/handle", "os.mkdir", "os.rename", "os.remove",
               "os.rmdir", "os.symlink", "shutil.copyfile", "subprocess.Popen", "os.system",
               "os.fork", "os.exec", "os.posix_spawn", "urllib.Request", "http.client.connect"}
    WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    events, env_reads = [], []

    def audit(event, args):
        if event == "socket.bind" and args[1] == ("::1", 0):
            return  # urllib3 (via requests and stripe) probes IPv6 support: no port, no listener
        if event in WATCHED:
            events.append([event, repr(args)[:300]])
        elif event == "open":
            path, mode, flags = args
            writes = (any(c in mode for c in "wax+") if isinstance(mode, str)
                      else isinstance(flags, int) and bool(flags & WRITE_FLAGS))
            if writes:
                events.append([event, repr(args)[:300]])

    sys.addaudithook(audit)

    class EnvironSpy(type(os.environ)):
        def __getitem__(self, key):
            if isinstance(key, str) and key.startswith("LOYALTY_"):
                frame = sys._getframe(1)
                wrappers = ("os.py", "_collections_abc.py")
                while frame.f_back and frame.f_code.co_filename.endswith(wrappers):
                    frame = frame.f_back
                env_reads.append([key, f"{frame.f_code.co_filename}:{frame.f_lineno}"])
            return super().__getitem__(key)

    os.environ.__class__ = EnvironSpy

    import gc, importlib, json, pkgutil
    import sqlalchemy
    import sqlalchemy.engine.create

    engines_created = []
    real_create_engine = sqlalchemy.engine.create.create_engine

    def spy_create_engine(*args, **kwargs):
        engines_created.append(repr(args)[:200])
        return real_create_engine(*args, **kwargs)

    sqlalchemy.create_engine = sqlalchemy.engine.create.create_engine = spy_create_engine

    def live_engines():
        return [repr(o) for o in gc.get_objects() if isinstance(o, sqlalchemy.engine.Engine)]

    imported = []

    def walk(name):
        module = importlib.import_module(name)
        imported.append(name)
        for info in pkgutil.iter_modules(getattr(module, "__path__", []), name + "."):
            if info.name == SKIPPED or info.name.startswith(SKIPPED + "."):
                continue
            walk(info.name)

    for package in PACKAGES:
        walk(package)

    report = {"imported": imported, "events": list(events), "env_reads": list(env_reads),
              "engines_created": list(engines_created), "live_engines": live_engines(),
              "cwd": sorted(os.listdir("."))}

    # Controls: the same instruments do see each kind of side effect.
    import sqlite3
    sqlite3.connect(":memory:").close()
    with open(os.path.join(os.environ["CONTROL_DIR"], "control.txt"), "w") as handle:
        handle.write("x")
    os.environ.get("LOYALTY_DATABASE_URL")
    control_engine = sqlalchemy.create_engine("sqlite://")
    report["control"] = {"events": [e[0] for e in events[len(report["events"]):]],
                         "env_reads": [r[0] for r in env_reads[len(report["env_reads"]):]],
                         "engines_created": len(engines_created),
                         "live_engines": len(live_engines())}
    sys.stdout.write("REPORT " + json.dumps(report) + "\\n")
''')


def run_imports(tmp_path) -> dict:
    cwd, home, scratch, control = (tmp_path / name for name in ("cwd", "home", "tmp", "control"))
    for folder in (cwd, home, scratch, control):
        folder.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOYALTY_")}
    env.update(HOSTILE_ENV, HOME=str(home), TMPDIR=str(scratch), CONTROL_DIR=str(control))
    prelude = f"PACKAGES = {PACKAGES!r}\nSKIPPED = {SKIPPED!r}\n"
    # -I: no user site, no cwd on sys.path; -B: no .pyc writes, which would look like file writes.
    completed = subprocess.run([sys.executable, "-I", "-B", "-c", prelude + SCRIPT], cwd=cwd,
                               env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-4000:]
    line = [out for out in completed.stdout.splitlines() if out.startswith("REPORT ")][-1]
    report = json.loads(line[len("REPORT "):])
    report["left_behind"] = {folder.name: sorted(p.name for p in folder.iterdir())
                             for folder in (cwd, home, scratch)}
    return report


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    """One fresh interpreter's account of importing everything (slow-ish: shared by the tests)."""
    return run_imports(tmp_path_factory.mktemp("imports"))


def test_importing_every_module_has_no_side_effects(report):

    imported = set(report["imported"])
    # The walk really reached every package and its submodules, and skipped the migrations.
    assert {"loyalty_plugin.app", "loyalty_plugin.db", "loyalty_plugin.config",
            "loyalty_plugin.cli", "loyalty_plugin.server", "loyalty_plugin.services.ledger",
            "loyalty_plugin.api.customers", "webhooks.pipeline", "webhooks.shopify",
            "widgets"} <= imported
    assert not any(name.startswith("loyalty_plugin.migrations") for name in imported)
    assert report["engines_created"] == []
    assert report["live_engines"] == []
    assert report["events"] == []  # no socket, no sqlite3.connect, no file written or created
    assert report["env_reads"] == []  # no LOYALTY_* setting read at import time
    assert report["cwd"] == []
    assert report["left_behind"] == {"cwd": [], "home": [], "tmp": []}


def test_import_side_effect_instruments_detect_what_they_watch(report):
    """Guards the test above: each instrument does report the thing it is there to catch."""
    control = report["control"]

    assert "sqlite3.connect" in control["events"]
    assert "open" in control["events"]
    assert control["env_reads"] == ["LOYALTY_DATABASE_URL"]
    assert control["engines_created"] == 1
    assert control["live_engines"] == 1
