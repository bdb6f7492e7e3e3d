"""Typed response models (frozen dataclasses).

Each model is built from the server's JSON by ``from_json``: unknown fields are
ignored (the server may add some), a missing or mistyped required field raises
:class:`TransportError`. Secrets (tokens, passwords, TOTP secrets) are left out of
``repr``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from ._errors import TransportError

T = TypeVar("T")


def _obj(data: object, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise TransportError(f"the response is not a JSON object ({what})")
    return data


def _get(d: dict[str, Any], key: str, typ: type[T], *, optional: bool = False) -> T:
    v = d.get(key)
    if v is None:
        if optional:
            return v  # type: ignore[return-value]
        raise TransportError(f"the response lacks the required field {key!r}")
    if typ is float and isinstance(v, int) and not isinstance(v, bool):
        return v  # type: ignore[return-value]
    if not isinstance(v, typ) or (typ is int and isinstance(v, bool)):
        raise TransportError(f"the response field {key!r} has the wrong type")
    return v


def _strs(d: dict[str, Any], key: str) -> list[str]:
    v = _get(d, key, list)
    if not all(isinstance(x, str) for x in v):
        raise TransportError(f"the response field {key!r} has the wrong type")
    return list(v)


def _time(d: dict[str, Any], key: str, *, optional: bool = False) -> datetime | None:
    s = _get(d, key, str, optional=optional)
    if s is None:
        return None
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        raise TransportError(f"the response field {key!r} is not an RFC 3339 time") from None


def _req_time(d: dict[str, Any], key: str) -> datetime:
    t = _time(d, key)
    assert t is not None
    return t


def _list(data: object, what: str) -> list[Any]:
    if not isinstance(data, list):
        raise TransportError(f"the response is not a JSON array ({what})")
    return data


@dataclass(frozen=True)
class Health:
    """``GET /v1/health``: ``status`` is ``"ok"``, or ``"sealed"`` while the vault is sealed."""

    status: str

    @classmethod
    def from_json(cls, data: object) -> Health:
        """Build from the server's JSON."""
        return cls(status=_get(_obj(data, "health"), "status", str))


@dataclass(frozen=True)
class Jwk:
    """The server's Ed25519 token-signing public key as a JWK."""

    kty: str
    crv: str
    x: str
    kid: str
    use: str | None = None
    alg: str | None = None

    @classmethod
    def from_json(cls, data: object) -> Jwk:
        """Build from the server's JSON."""
        d = _obj(data, "jwk")
        return cls(
            kty=_get(d, "kty", str),
            crv=_get(d, "crv", str),
            x=_get(d, "x", str),
            kid=_get(d, "kid", str),
            use=_get(d, "use", str, optional=True),
            alg=_get(d, "alg", str, optional=True),
        )


@dataclass(frozen=True)
class JwkSet:
    """The JSON Web Key Set of ``/.well-known/jwks.json``."""

    keys: list[Jwk]

    @classmethod
    def from_json(cls, data: object) -> JwkSet:
        """Build from the server's JSON."""
        return cls(keys=[Jwk.from_json(k) for k in _get(_obj(data, "jwks"), "keys", list)])


@dataclass(frozen=True)
class TokenResponse:
    """A fresh bearer token (login, renew); ``repr`` hides the token."""

    token: str = field(repr=False)
    expires_at: datetime

    @classmethod
    def from_json(cls, data: object) -> TokenResponse:
        """Build from the server's JSON."""
        d = _obj(data, "token")
        return cls(token=_get(d, "token", str), expires_at=_req_time(d, "expires_at"))


@dataclass(frozen=True)
class IssuedToken:
    """A system account's new token; ``repr`` hides the token."""

    token: str = field(repr=False)
    expires_at: datetime
    jti: str

    @classmethod
    def from_json(cls, data: object) -> IssuedToken:
        """Build from the server's JSON."""
        d = _obj(data, "issued token")
        return cls(token=_get(d, "token", str), expires_at=_req_time(d, "expires_at"), jti=_get(d, "jti", str))


@dataclass(frozen=True)
class Validation:
    """``POST /v1/token/validate``: when ``valid`` is False every other field is None."""

    valid: bool
    sub: str | None = None
    username: str | None = None
    account_type: str | None = None
    roles: list[str] | None = None
    jti: str | None = None
    issued_at: datetime | None = None
    expires_at: datetime | None = None
    audience: str | None = None

    @classmethod
    def from_json(cls, data: object) -> Validation:
        """Build from the server's JSON."""
        d = _obj(data, "validation")
        if not _get(d, "valid", bool):
            return cls(valid=False)
        return cls(
            valid=True,
            sub=_get(d, "sub", str),
            username=_get(d, "username", str),
            account_type=_get(d, "account_type", str),
            roles=_strs(d, "roles"),
            jti=_get(d, "jti", str),
            issued_at=_time(d, "issued_at"),
            expires_at=_time(d, "expires_at"),
            audience=_get(d, "audience", str, optional=True),
        )


@dataclass(frozen=True)
class Account:
    """An account: the only shape accounts take in responses."""

    id: str
    username: str
    account_type: str
    status: str
    roles: list[str]
    tags: list[str]
    totp_enabled: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_json(cls, data: object) -> Account:
        """Build from the server's JSON."""
        d = _obj(data, "account")
        return cls(
            id=_get(d, "id", str),
            username=_get(d, "username", str),
            account_type=_get(d, "account_type", str),
            status=_get(d, "status", str),
            roles=_strs(d, "roles"),
            tags=_strs(d, "tags"),
            totp_enabled=_get(d, "totp_enabled", bool),
            created_at=_req_time(d, "created_at"),
            updated_at=_req_time(d, "updated_at"),
        )

    @classmethod
    def list_from_json(cls, data: object) -> list[Account]:
        """Build a list from the server's JSON array."""
        return [cls.from_json(x) for x in _list(data, "accounts")]


@dataclass(frozen=True)
class TokenInfo:
    """A token's metadata; ``revoked_at`` is None while it is valid."""

    jti: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    @classmethod
    def list_from_json(cls, data: object) -> list[TokenInfo]:
        """Build a list from the server's JSON array."""
        out = []
        for x in _list(data, "tokens"):
            d = _obj(x, "token info")
            out.append(
                cls(
                    jti=_get(d, "jti", str),
                    issued_at=_req_time(d, "issued_at"),
                    expires_at=_req_time(d, "expires_at"),
                    revoked_at=_time(d, "revoked_at", optional=True),
                )
            )
        return out


@dataclass(frozen=True)
class PgCreds:
    """A system account's Postgres credentials.

    ``password`` is None for a metadata-only reader, and never in ``repr``.
    """

    host: str
    port: int
    database: str
    username: str
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_json(cls, data: object) -> PgCreds:
        """Build from the server's JSON."""
        d = _obj(data, "pgcreds")
        return cls(
            host=_get(d, "host", str),
            port=_get(d, "port", int),
            database=_get(d, "database", str),
            username=_get(d, "username", str),
            password=_get(d, "password", str, optional=True),
        )


@dataclass(frozen=True)
class PgCredsSummary:
    """One entry of ``list_pgcreds``: connection metadata, never a password."""

    account_id: str
    service: str | None
    host: str
    port: int
    database: str
    username: str

    @classmethod
    def list_from_json(cls, data: object) -> list[PgCredsSummary]:
        """Build a list from the server's JSON array."""
        out = []
        for x in _list(data, "pgcreds"):
            d = _obj(x, "pgcreds summary")
            out.append(
                cls(
                    account_id=_get(d, "account_id", str),
                    service=_get(d, "service", str, optional=True),
                    host=_get(d, "host", str),
                    port=_get(d, "port", int),
                    database=_get(d, "database", str),
                    username=_get(d, "username", str),
                )
            )
        return out


@dataclass(frozen=True)
class AuditEvent:
    """One audit row."""

    id: int
    time: datetime
    type: str
    actor_id: str | None
    actor: str | None
    target_id: str | None
    target: str | None
    ip: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    """One page of audit events, newest first; ``next_cursor`` is None on the last page."""

    events: list[AuditEvent]
    next_cursor: str | None

    @classmethod
    def from_json(cls, data: object) -> AuditPage:
        """Build from the server's JSON."""
        d = _obj(data, "audit page")
        events = []
        for x in _get(d, "events", list):
            e = _obj(x, "audit event")
            details = e.get("details")
            events.append(
                AuditEvent(
                    id=_get(e, "id", int),
                    time=_req_time(e, "time"),
                    type=_get(e, "type", str),
                    actor_id=_get(e, "actor_id", str, optional=True),
                    actor=_get(e, "actor", str, optional=True),
                    target_id=_get(e, "target_id", str, optional=True),
                    target=_get(e, "target", str, optional=True),
                    ip=_get(e, "ip", str, optional=True),
                    details=details if isinstance(details, dict) else {},
                )
            )
        cursor = d.get("next_cursor")
        return cls(events=events, next_cursor=str(cursor) if cursor is not None else None)


@dataclass(frozen=True)
class EvaluateResult:
    """The policy engine's decision and the rule that made it."""

    effect: str
    rule_id: int | None
    rule_description: str | None

    @classmethod
    def from_json(cls, data: object) -> EvaluateResult:
        """Build from the server's JSON."""
        d = _obj(data, "policy decision")
        return cls(
            effect=_get(d, "effect", str),
            rule_id=_get(d, "rule_id", int, optional=True),
            rule_description=_get(d, "rule_description", str, optional=True),
        )


@dataclass(frozen=True)
class TotpEnrollment:
    """A new TOTP secret, active only once confirmed; never in ``repr``."""

    secret: str = field(repr=False)
    otpauth_uri: str = field(repr=False)

    @classmethod
    def from_json(cls, data: object) -> TotpEnrollment:
        """Build from the server's JSON."""
        d = _obj(data, "totp enrollment")
        return cls(secret=_get(d, "secret", str), otpauth_uri=_get(d, "otpauth_uri", str))


@dataclass(frozen=True)
class VaultStatus:
    """Whether the server's vault is sealed."""

    sealed: bool

    @classmethod
    def from_json(cls, data: object) -> VaultStatus:
        """Build from the server's JSON."""
        return cls(sealed=_get(_obj(data, "vault status"), "sealed", bool))


@dataclass(frozen=True)
class Claims:
    """The verified claims of a token (``verify_locally``)."""

    iss: str
    sub: str
    jti: str
    iat: int
    exp: int
    username: str | None
    account_type: str | None
    roles: list[str]
    aud: str | list[str] | None = None
    auth_time: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
