"""The exception hierarchy of the MCIAS client (SPEC §14).

Every failure raises a subclass of :class:`McIasError`, which carries the HTTP
``status`` (0 when no usable answer arrived) and the server's ``code``. Messages are
built from the method, the path and the server's own message only: never from a
request body, a header, a token or a password.
"""

from __future__ import annotations

from collections.abc import Mapping


class McIasError(Exception):
    """Base class of every error the client raises.

    Attributes:
        status: the HTTP status, or 0 when no usable answer arrived.
        code: the server's error code, ``"transport"`` or ``"invalid_token"``.
        message: the server's human-readable message (never holds a secret).

    """

    code: str = "error"

    def __init__(self, message: str, *, status: int = 0, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        where = f"HTTP {self.status}, " if self.status else ""
        return f"{self.message} ({where}{self.code})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, message={self.message!r})"


class ApiError(McIasError):
    """The server answered with an error status and ``{"error", "code"}``."""


class BadRequestError(ApiError):
    """400 ``bad_request``: malformed input, unknown field, bad id."""

    code = "bad_request"


class UnauthorizedError(ApiError):
    """401 ``unauthorized``: no, bad, expired or revoked token; failed login; wrong passphrase."""

    code = "unauthorized"


class ForbiddenError(ApiError):
    """403 ``forbidden``: the policy engine denied the call."""

    code = "forbidden"


class NotFoundError(ApiError):
    """404 ``not_found``."""

    code = "not_found"


class ConflictError(ApiError):
    """409 ``conflict``, e.g. a username already taken."""

    code = "conflict"


class PayloadTooLargeError(ApiError):
    """413 ``payload_too_large``: a request body over 64 KiB."""

    code = "payload_too_large"


class RateLimitedError(ApiError):
    """429 ``rate_limited``; ``retry_after`` is the server's ``Retry-After`` in seconds (or None)."""

    code = "rate_limited"

    def __init__(self, message: str, *, status: int = 429, retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"RateLimitedError(status={self.status!r}, message={self.message!r}, retry_after={self.retry_after!r})"


class VaultSealedError(ApiError):
    """503 ``vault_sealed``: the server is sealed; unseal it first."""

    code = "vault_sealed"


class InternalServerError(ApiError):
    """500 ``internal`` (or another 5xx)."""

    code = "internal"


class TransportError(McIasError):
    """No usable answer: refused, TLS failure, timeout, or not the expected JSON.

    A response lacking a required field is one too.
    """

    code = "transport"


class InvalidTokenError(McIasError):
    """``verify_locally`` rejected the token (signature, header, issuer, time, audience)."""

    code = "invalid_token"


_BY_CODE: Mapping[str, type[ApiError]] = {
    "bad_request": BadRequestError,
    "unauthorized": UnauthorizedError,
    "forbidden": ForbiddenError,
    "not_found": NotFoundError,
    "conflict": ConflictError,
    "payload_too_large": PayloadTooLargeError,
    "rate_limited": RateLimitedError,
    "vault_sealed": VaultSealedError,
    "internal": InternalServerError,
}

_BY_STATUS: Mapping[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "payload_too_large",
    429: "rate_limited",
    500: "internal",
    503: "vault_sealed",
}


def error_from_response(status: int, body: object, retry_after: str | None) -> ApiError:
    """Build the typed error for an error response (status >= 400)."""
    b = body if isinstance(body, dict) else {}
    code = b.get("code")
    if not isinstance(code, str) or code not in _BY_CODE:
        code = _BY_STATUS.get(status, "internal" if status >= 500 else "bad_request")
    msg = b.get("error")
    message = msg[:500] if isinstance(msg, str) else f"HTTP {status}"
    if code == "rate_limited":
        seconds: float | None = None
        if retry_after is not None:
            try:
                seconds = float(retry_after)
            except ValueError:
                seconds = None
            if seconds is not None and seconds < 0:
                seconds = None
        return RateLimitedError(message, status=status, retry_after=seconds)
    return _BY_CODE[code](message, status=status)
