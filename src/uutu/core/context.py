"""The request context: who is acting, under which request id, from which source.

Service functions read it when they write audit rows, so that a view, an import
and a management command all record the same facts without passing them around.
"""

import contextlib
import contextvars
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class ActionContext:
    request_id: str
    user_id: int | None = None
    ip: str | None = None
    source: str = "web"  # web, command, import, api


_current: contextvars.ContextVar[ActionContext | None] = contextvars.ContextVar(
    "uutu_action_context", default=None
)


def current() -> ActionContext:
    ctx = _current.get()
    if ctx is None:
        return ActionContext(request_id=uuid.uuid4().hex, source="command")
    return ctx


@contextlib.contextmanager
def acting(*, user_id=None, source="command", ip=None, request_id=None):
    """Run a block (a command, an import) under its own request id and source."""
    token = _current.set(
        ActionContext(
            request_id=request_id or uuid.uuid4().hex, user_id=user_id, ip=ip, source=source
        )
    )
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def set_for_request(ctx: ActionContext):
    return _current.set(ctx)


def reset(token) -> None:
    _current.reset(token)
