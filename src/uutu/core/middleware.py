"""Middleware that gives every request an id and makes it available to services."""

import re
import uuid

from . import context

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        user = getattr(request, "user", None)
        token = context.set_for_request(
            context.ActionContext(
                request_id=request_id,
                user_id=user.pk if user is not None and user.is_authenticated else None,
                ip=request.META.get("REMOTE_ADDR"),
                source="web",
            )
        )
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response
