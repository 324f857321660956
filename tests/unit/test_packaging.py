"""Every Python package in the source tree ships in the distribution."""
from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_setup_cfg_lists_every_package():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    listed = {line.strip() for line in config["options"]["packages"].splitlines() if line.strip()}
    found = set()
    for top in ("loyalty_plugin", "webhooks", "widgets"):
        for init in (ROOT / top).rglob("__init__.py"):
            found.add(".".join(init.parent.relative_to(ROOT).parts))
    for init in (ROOT / "migrations").rglob("__init__.py"):
        found.add(".".join(("loyalty_plugin",) + init.parent.relative_to(ROOT).parts))
    assert found - listed == set(), "add these to [options] packages in setup.cfg"
