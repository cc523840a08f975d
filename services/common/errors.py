"""Domain errors that cross RPC and leave the gateway as API.md's problem+json codes."""


class CadreError(Exception):
    """Base of every error a caller is meant to see.

    ``args`` are exactly ``(detail, code, errors)`` so that nameko can rebuild the
    same class on the calling side (``remote_errors`` registers every subclass).
    """

    status = 500
    default_code = "error"
    title = "Error"

    def __init__(self, detail="", code=None, errors=None):
        # errors is always a dict (empty when none): nameko would stringify a None in transit
        errors = errors if isinstance(errors, dict) else {}
        super().__init__(detail, code or self.default_code, errors)
        self.detail = detail
        self.code = code or self.default_code
        self.errors = errors

    def problem(self):
        body = {
            "type": f"https://cadre.example/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if self.errors or self.status == 400:
            body["errors"] = self.errors
        return body


class Invalid(CadreError):
    """400: the request is malformed; ``errors`` maps each field to its messages."""

    status, default_code, title = 400, "invalid", "Invalid request"

    def __init__(self, detail="", code=None, errors=None):
        if errors is None and isinstance(detail, dict):
            errors, detail = detail, "; ".join(f"{k}: {v}" for k, v in detail.items())
        super().__init__(detail or "the request is not valid", code, errors or {})


class Unauthorized(CadreError):
    status, default_code, title = 401, "unauthorized", "Unauthorized"


class Forbidden(CadreError):
    status, default_code, title = 403, "forbidden", "Forbidden"


class NotFound(CadreError):
    status, default_code, title = 404, "not_found", "Not found"


class Conflict(CadreError):
    """409: the resource's state forbids this (``exists``, ``token_used``, ``wrong_stage`` ...)."""

    status, default_code, title = 409, "conflict", "Conflict"


class TooLarge(CadreError):
    status, default_code, title = 413, "too_large", "Payload too large"


class RuleViolation(CadreError):
    """422: a rule of the procedure forbids this; ``code`` names the rule (API.md's table)."""

    status, default_code, title = 422, "rule_violation", "Rule of the procedure violated"


class RateLimited(CadreError):
    status, default_code, title = 429, "rate_limited", "Too many requests"


class Unavailable(CadreError):
    status, default_code, title = 503, "unavailable", "Service unavailable"
