"""Local token verification with PyJWT (EdDSA) against the server's JWKS."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import jwt
from jwt.exceptions import PyJWKError, PyJWTError

from ._errors import InvalidTokenError
from ._models import Claims

#: Clock skew tolerated on ``exp`` and ``iat`` (SPEC §2), in seconds.
LEEWAY = 60
#: Least time between two JWKS fetches caused by unknown key ids, in seconds.
MIN_REFRESH = 30.0

_FORBIDDEN_HEADERS = ("jku", "x5u", "jwk", "x5c", "crit")


def header_kid(token: str) -> str:
    """Check the header before anything else is trusted and return its ``kid``."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidTokenError("token rejected: not a compact JWS")
    try:
        header = jwt.get_unverified_header(token)
    except PyJWTError:
        raise InvalidTokenError("token rejected: malformed header") from None
    if header.get("alg") != "EdDSA":
        raise InvalidTokenError("token rejected: alg is not EdDSA")
    for h in _FORBIDDEN_HEADERS:
        if h in header:
            raise InvalidTokenError(f"token rejected: forbidden header {h}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidTokenError("token rejected: no kid")
    return kid


class KeyCache:
    """The server's JWKS by kid, and when an unknown kid last caused a fetch."""

    def __init__(self) -> None:
        self.keys: dict[str, Any] | None = None
        self.miss: float = 0.0

    def find(self, kid: str) -> Any | None:
        """Return the key object for ``kid``, or None."""
        return None if self.keys is None else self.keys.get(kid)

    def should_fetch(self) -> bool:
        """Fetch when there is no cache yet, or (at most every MIN_REFRESH) on a miss."""
        if self.keys is None:
            return True
        now = time.monotonic()
        if self.miss and now - self.miss < MIN_REFRESH:
            return False
        self.miss = now
        return True

    def store(self, jwks: Mapping[str, Any]) -> None:
        """Replace the cached keys with the Ed25519 keys of a JWKS document."""
        keys: dict[str, Any] = {}
        for k in jwks.get("keys", []):
            if not isinstance(k, dict) or k.get("kty") != "OKP" or k.get("crv") != "Ed25519":
                continue
            if k.get("alg") not in (None, "EdDSA") or not isinstance(k.get("kid"), str):
                continue
            try:
                keys[k["kid"]] = jwt.PyJWK.from_json(json.dumps(k), algorithm="EdDSA").key
            except PyJWKError:
                continue
        self.keys = keys


def verify(token: str, key: Any, issuer: str, audience: str | None) -> Claims:
    """Verify signature and claims with PyJWT; raise InvalidTokenError when refused."""
    try:
        payload = jwt.decode(
            token,
            key=key,
            algorithms=["EdDSA"],
            issuer=issuer,
            leeway=LEEWAY,
            options={"require": ["exp", "iat", "iss", "sub", "jti"], "verify_aud": False},
        )
    except PyJWTError as e:
        raise InvalidTokenError(f"token rejected: {type(e).__name__}") from None
    iat = payload.get("iat")
    if not isinstance(iat, int | float) or iat > time.time() + LEEWAY:
        raise InvalidTokenError("token rejected: iat in the future")
    aud = payload.get("aud")
    if audience is not None and aud is not None:
        auds = [aud] if isinstance(aud, str) else aud
        if not isinstance(auds, list) or audience not in auds:
            raise InvalidTokenError("token rejected: audience mismatch")
    roles = payload.get("roles")
    return Claims(
        iss=payload["iss"],
        sub=payload["sub"],
        jti=payload["jti"],
        iat=int(payload["iat"]),
        exp=int(payload["exp"]),
        username=payload.get("username"),
        account_type=payload.get("account_type"),
        roles=[r for r in roles if isinstance(r, str)] if isinstance(roles, list) else [],
        aud=aud if isinstance(aud, str | list) else None,
        auth_time=payload.get("auth_time") if isinstance(payload.get("auth_time"), int) else None,
        raw=payload,
    )
