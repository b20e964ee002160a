"""gunicorn's settings for uutu. gunicorn reads ``./gunicorn.conf.py`` by default, so
``bin/run``, the README's production command and the benchmarks (all started from
the repository's root) use it; options on the command line override it.

- Threaded workers (``gthread``, 2 threads each): a thread's wait for PostgreSQL
  overlaps another request's Python work, and a browser keeps its connection open
  between pages. Give ``--workers`` about twice the number of cores.
- A new connection's first bytes are waited for 50 ms in a worker thread, not
  5 s. gunicorn (24 and later) hands each accepted connection to a thread, which
  waits up to ``DEFAULT_WORKER_DATA_TIMEOUT`` (5 s, not a setting) for its request
  before giving it back to the worker's poller. Connections that stay silent for a
  while (a browser's preconnect, a slow phone, a load tester that opens its
  connections before its users' first page) each held one of the worker's two
  threads for up to 5 s, and the requests of every other connection of that worker
  waited behind them: under 200 users the 99th percentile was 2.7-4 s while no
  request took more than 1 s to serve (docs/benchmarks.md, session 6; upstream:
  benoitc/gunicorn#3634). After 50 ms without data the connection goes back to the
  poller, which hands it to a thread once its request arrives.
  ``UUTU_GUNICORN_FIRST_BYTES_WAIT`` (seconds) changes the wait.
"""

import os

import gunicorn.workers.gthread as _gthread

worker_class = "gthread"
threads = 2

_gthread.DEFAULT_WORKER_DATA_TIMEOUT = float(
    os.environ.get("UUTU_GUNICORN_FIRST_BYTES_WAIT") or 0.05
)
