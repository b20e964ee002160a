"""gunicorn.conf.py, which gunicorn reads from the repository's root: threaded workers,
and a new connection's first bytes waited for briefly in a worker thread (see the
file's docstring; the effect under load is measured in bench/, not asserted here)."""

import runpy
from pathlib import Path

import gunicorn.workers.gthread as gthread
from gunicorn.config import Config

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_gunicorn_reads_the_settings_and_waits_briefly_for_first_bytes(monkeypatch):
    monkeypatch.setattr(gthread, "DEFAULT_WORKER_DATA_TIMEOUT", 5.0)
    monkeypatch.delenv("UUTU_GUNICORN_FIRST_BYTES_WAIT", raising=False)
    settings = runpy.run_path(str(CONF))
    assert gthread.DEFAULT_WORKER_DATA_TIMEOUT == 0.05
    # gunicorn's own configuration takes the file's names as its settings
    config = Config()
    for name in ("worker_class", "threads"):
        config.set(name, settings[name])
    assert config.worker_class_str == "gthread" and config.threads == 2
    assert config.worker_class is gthread.ThreadWorker
    # the default file name is the one in the repository's root
    assert Path(Config().config or "").name == CONF.name


def test_the_wait_follows_the_environment(monkeypatch):
    monkeypatch.setattr(gthread, "DEFAULT_WORKER_DATA_TIMEOUT", 5.0)
    monkeypatch.setenv("UUTU_GUNICORN_FIRST_BYTES_WAIT", "0.2")
    runpy.run_path(str(CONF))
    assert gthread.DEFAULT_WORKER_DATA_TIMEOUT == 0.2
