"""mcias_client: the Python client for MCIAS (Metacircular Identity and Access System).

>>> from mcias_client import Client
>>> with Client("https://auth.example.com:8443", ca_file="ca.pem") as c:  # doctest: +SKIP
...     c.login("alice", password)
...     print(c.me().username)

:class:`Client` is synchronous, :class:`AsyncClient` the same API for asyncio. Every
failure raises a :class:`McIasError` subclass carrying ``status`` and ``code``. No
exception text or ``repr`` contains a token, password or secret.
"""

from ._client import AsyncClient, Client
from ._errors import (
    ApiError,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    InternalServerError,
    InvalidTokenError,
    McIasError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
    TransportError,
    UnauthorizedError,
    VaultSealedError,
)
from ._models import (
    Account,
    AuditEvent,
    AuditPage,
    Claims,
    EvaluateResult,
    Health,
    IssuedToken,
    Jwk,
    JwkSet,
    PgCreds,
    PgCredsSummary,
    TokenInfo,
    TokenResponse,
    TotpEnrollment,
    Validation,
    VaultStatus,
)

__all__ = [
    "Account",
    "ApiError",
    "AsyncClient",
    "AuditEvent",
    "AuditPage",
    "BadRequestError",
    "Claims",
    "Client",
    "ConflictError",
    "EvaluateResult",
    "ForbiddenError",
    "Health",
    "InternalServerError",
    "InvalidTokenError",
    "IssuedToken",
    "Jwk",
    "JwkSet",
    "McIasError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PgCreds",
    "PgCredsSummary",
    "RateLimitedError",
    "TokenInfo",
    "TokenResponse",
    "TotpEnrollment",
    "TransportError",
    "UnauthorizedError",
    "Validation",
    "VaultSealedError",
    "VaultStatus",
]
__version__ = "0.1.0"
