"""How the benchmark scripts find the service and each other.

``bench/webhooks.py`` and ``bench/widgets.py`` share their names with the
repository's packages. Run as a script, a file's folder comes first on
``sys.path``, so with ``bench/`` there they would shadow the packages they
measure. Every script imports this module first (``bench/`` is still on the
path at that moment): it takes ``bench/`` off ``sys.path``, puts the repository
on it, and loads sibling scripts by file instead of by name.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def load(name: str, file: str) -> ModuleType:
    """``bench/<file>`` as the module ``name``, loaded once."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH_DIR / file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
