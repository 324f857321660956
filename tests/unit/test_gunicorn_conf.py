import __future__
import gc
import types

from gunicorn.config import Config

from loyalty_plugin import gunicorn_conf
from loyalty_plugin.server import _Server


def _settings_in_module() -> dict:
    return {name: value for name, value in vars(gunicorn_conf).items()
            if not name.startswith("_") and not isinstance(value, (types.ModuleType, __future__._Feature))}


def test_every_name_in_the_module_is_a_gunicorn_setting():
    # gunicorn -c python:... skips unknown names without a word: a typo would go unnoticed.
    assert set(_settings_in_module()) <= set(Config().settings)
    assert "post_worker_init" in _settings_in_module()


def test_loyalty_serve_runs_under_the_module_settings_and_its_own_bind_and_workers():
    cfg = _Server({"bind": "127.0.0.1:8123", "workers": 3}).cfg

    assert cfg.bind == ["127.0.0.1:8123"]
    assert cfg.workers == 3
    assert cfg.timeout == 30 and cfg.graceful_timeout == 20
    assert cfg.accesslog == "-"
    assert cfg.control_socket_disable is True
    assert cfg.post_worker_init is gunicorn_conf.post_worker_init


def test_a_started_worker_leaves_what_exists_out_of_later_collections():
    gc.unfreeze()
    survivor = types.SimpleNamespace(kept=[1, 2, 3])
    try:
        gunicorn_conf.post_worker_init(object())

        assert gc.get_freeze_count() > 0
        assert not any(survivor is obj for obj in gc.get_objects())  # frozen: no generation holds it
    finally:
        gc.unfreeze()
    assert any(survivor is obj for obj in gc.get_objects())
