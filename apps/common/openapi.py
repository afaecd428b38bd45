"""drf-spectacular post-processing: document the error responses every operation can give.

drf-spectacular documents the success response of each operation; the errors come from the
framework (authentication, permissions, validation, lookups, body limits, throttling), so they
are added here once for all operations rather than by hand on each view."""
from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error: `detail` for a single message, or field names with their messages",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            has_input = bool(operation.get("parameters")) or "requestBody" in operation
            wanted = {"401": "Not authenticated", "403": "Not allowed for your role or organisation"}
            if has_input:
                wanted["400"] = "Invalid input; nothing was stored"
            if "{" in path or method == "post":
                wanted["404"] = "No such object (or not yours)"
            if "requestBody" in operation:
                wanted["413"] = "Request body larger than this endpoint accepts"
            if path.endswith("/auth/token/"):
                wanted["429"] = "Locked out after repeated failed logins (django-axes)"
            if path.endswith("/acknowledge/"):
                wanted["409"] = "Not in a state that allows this"
            for code, description in wanted.items():
                responses.setdefault(code, _error(description))
    return result
