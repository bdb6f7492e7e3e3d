"""The MCIAS clients: :class:`Client` (sync) and :class:`AsyncClient` (asyncio).

Both are built on httpx and have the same methods; each method is one REST call of SPEC §3.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from . import _ops as ops
from ._errors import BadRequestError, TransportError
from ._models import (
    Account,
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
from ._verify import KeyCache, header_kid, verify

T = TypeVar("T")

__all__ = ["AsyncClient", "Client"]


class _Base:
    """Configuration shared by both clients."""

    def __init__(
        self,
        base_url: str,
        *,
        ca_file: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
        issuer: str | None = None,
        audience: str | None = None,
    ) -> None:
        self.base_url = ops.check_base_url(base_url)
        self._token = token
        self._issuer = issuer
        self._audience = audience
        self._timeout = timeout
        self._keys = KeyCache()
        try:
            self._ssl = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
        except (OSError, ssl.SSLError):
            raise TransportError("cannot load the CA file") from None
        self._ssl.minimum_version = ssl.TLSVersion.TLSv1_2

    @property
    def token(self) -> str | None:
        """The bearer token in use (set by the constructor, login, renew or assignment)."""
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value

    def __repr__(self) -> str:
        state = "<redacted>" if self._token else "None"
        return f"{type(self).__name__}(base_url={self.base_url!r}, token={state})"

    def _headers(self, op: ops.Op[Any]) -> dict[str, str]:
        h = {"Accept": "application/json"}
        if op.auth and self._token:
            h["Authorization"] = f"Bearer {self._token}"
        return h

    def _need_issuer(self) -> str:
        if not self._issuer:
            raise BadRequestError("verify_locally needs the issuer= the server's tokens carry")
        return self._issuer

    @staticmethod
    def _transport_error(op: ops.Op[Any], e: Exception) -> TransportError:
        # httpx messages name the URL and the cause, never the headers (the token).
        return TransportError(f"{op.method} {op.path}: {type(e).__name__}: {e}")


class Client(_Base):
    """Synchronous MCIAS client (thread-safe; use as a context manager or call :meth:`close`).

    Args:
        base_url: e.g. ``"https://auth.example.com:8443"`` (``http://`` only for loopback).
        ca_file: PEM file of the CA (or self-signed certificate) to trust instead of the system store.
        token: initial bearer token.
        timeout: per-request timeout in seconds.
        issuer: the ``iss`` :meth:`verify_locally` expects (the server's ``tokens.issuer``).
        audience: if set, :meth:`verify_locally` refuses tokens minted for another audience.
        transport: an httpx transport to use instead of the network (tests).

    """

    def __init__(
        self,
        base_url: str,
        *,
        ca_file: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
        issuer: str | None = None,
        audience: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, ca_file=ca_file, token=token, timeout=timeout, issuer=issuer, audience=audience)
        self._http = httpx.Client(verify=self._ssl, timeout=timeout, follow_redirects=False, transport=transport)
        self._key_lock = threading.Lock()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _run(self, op: ops.Op[T]) -> T:
        try:
            res = self._http.request(
                op.method, self.base_url + op.path, json=op.body, params=op.query or None, headers=self._headers(op)
            )
        except httpx.HTTPError as e:
            raise self._transport_error(op, e) from None
        return ops.read_response(op, res.status_code, res.text, res.headers.get("retry-after"))

    def verify_locally(self, token: str) -> Claims:
        """Verify ``token`` without asking the server.

        Checks: header ``alg`` EdDSA with a ``kid`` and no ``jku``/``x5u``/``jwk``/``x5c``/``crit``;
        the Ed25519 signature against the server's JWKS (cached; fetched again when the kid is
        unknown, at most every 30 s); ``iss``; ``exp``/``iat`` with 60 s skew; ``sub`` and ``jti``;
        and, with ``audience=``, a matching ``aud`` (a token without ``aud`` is accepted). It cannot
        see revocation: use :meth:`validate` where that matters. Raises :class:`InvalidTokenError`.
        """
        issuer = self._need_issuer()
        kid = header_kid(token)
        with self._key_lock:
            key = self._keys.find(kid)
            if key is None and self._keys.should_fetch():
                doc = self._run(ops.jwks_raw())
                self._keys.store(doc)
                key = self._keys.find(kid)
        if key is None:
            from ._errors import InvalidTokenError

            raise InvalidTokenError("token rejected: unknown kid")
        return verify(token, key, issuer, self._audience)

    def health(self) -> Health:
        """``GET /v1/health``: ``status`` ``"ok"``, or ``"sealed"`` while sealed (not an error)."""
        return self._run(ops.health())

    def public_key(self) -> Jwk:
        """``GET /v1/keys/public``: the token-signing key as a JWK."""
        return self._run(ops.public_key())

    def jwks(self) -> JwkSet:
        """``GET /.well-known/jwks.json``: the JWK Set."""
        return self._run(ops.jwks())

    def login(self, username: str, password: str, totp_code: str | None = None) -> TokenResponse:
        """Log a human account in (``totp_code`` when TOTP is enrolled); the client uses the new token from then on.

        Every failure (unknown user, wrong password or code, inactive account) is :class:`UnauthorizedError`.
        """
        r = self._run(ops.login(username, password, totp_code))
        self._token = r.token
        return r

    def logout(self) -> None:
        """Revoke the current token and forget it."""
        self._run(ops.logout())
        self._token = None

    def renew(self) -> TokenResponse:
        """Exchange the current token for a fresh one (the old one is revoked); the client uses the new one."""
        r = self._run(ops.renew())
        self._token = r.token
        return r

    def me(self) -> Account:
        """``GET /v1/auth/me``: the caller's account."""
        return self._run(ops.me())

    def change_password(self, current_password: str, new_password: str) -> None:
        """Change the caller's own password; all its other tokens are revoked."""
        return self._run(ops.change_password(current_password, new_password))

    def totp_enroll(self, current_password: str) -> TotpEnrollment:
        """Start TOTP enrollment (step-up: the current password is required); active once confirmed."""
        return self._run(ops.totp_enroll(current_password))

    def totp_confirm(self, code: str) -> None:
        """Turn TOTP on with a current code; from then on login needs a code."""
        return self._run(ops.totp_confirm(code))

    def validate(self, token: str) -> Validation:
        """Ask the server whether ``token`` is valid (no bearer needed); invalid is ``valid=False``, not an error."""
        return self._run(ops.validate(token))

    def revoke_token(self, jti: str) -> None:
        """Revoke the token with this ``jti``."""
        return self._run(ops.revoke_token(jti))

    def issue_service_token(self, account_id: str) -> IssuedToken:
        """Issue a system account's new token (its previous one is revoked); the client's token is unchanged."""
        return self._run(ops.issue_service_token(account_id))

    def list_tokens(self, account_id: str) -> list[TokenInfo]:
        """List an account's tokens (metadata only)."""
        return self._run(ops.list_tokens(account_id))

    def create_account(
        self, username: str, account_type: str, password: str | None = None, roles: list[str] | None = None
    ) -> Account:
        """Create a ``"human"`` or ``"system"`` account (admin); system accounts have no password."""
        return self._run(ops.create_account(username, account_type, password, roles))

    def list_accounts(self, status: str | None = None) -> list[Account]:
        """List accounts (admin); deleted ones only with ``status="deleted"``."""
        return self._run(ops.list_accounts(status))

    def get_account(self, account_id: str) -> Account:
        """Return one account."""
        return self._run(ops.get_account(account_id))

    def update_account(self, account_id: str, status: str) -> Account:
        """Set an account's status ``"active"``/``"inactive"`` (admin); inactive revokes its tokens."""
        return self._run(ops.update_account(account_id, status))

    def delete_account(self, account_id: str) -> None:
        """Soft-delete an account (admin): tokens revoked, username stays reserved."""
        return self._run(ops.delete_account(account_id))

    def set_password(self, account_id: str, password: str) -> None:
        """Set another account's password (admin); all its tokens are revoked."""
        return self._run(ops.set_password(account_id, password))

    def get_roles(self, account_id: str) -> list[str]:
        """Return an account's roles."""
        return self._run(ops.get_roles(account_id))

    def set_roles(self, account_id: str, roles: list[str]) -> list[str]:
        """Replace an account's roles; returns the new set."""
        return self._run(ops.set_roles(account_id, roles))

    def grant_role(self, account_id: str, role: str) -> list[str]:
        """Add one role; returns the new set."""
        return self._run(ops.grant_role(account_id, role))

    def revoke_role(self, account_id: str, role: str) -> list[str]:
        """Remove one role; returns the new set."""
        return self._run(ops.revoke_role(account_id, role))

    def get_tags(self, account_id: str) -> list[str]:
        """Return an account's tags."""
        return self._run(ops.get_tags(account_id))

    def set_tags(self, account_id: str, tags: list[str]) -> list[str]:
        """Replace an account's tags; returns the new set."""
        return self._run(ops.set_tags(account_id, tags))

    def get_pgcreds(self, account_id: str) -> PgCreds:
        """Read a system account's Postgres credentials (``password`` only for a manager or the account itself)."""
        return self._run(ops.get_pgcreds(account_id))

    def set_pgcreds(
        self, account_id: str, *, host: str, port: int, database: str, username: str, password: str
    ) -> None:
        """Store a system account's Postgres credentials (admin); the server encrypts the password."""
        return self._run(ops.set_pgcreds(account_id, host, port, database, username, password))

    def list_pgcreds(self) -> list[PgCredsSummary]:
        """List every credential the caller may read (metadata, never passwords)."""
        return self._run(ops.list_pgcreds())

    def audit_query(
        self,
        *,
        account: str | None = None,
        type: str | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AuditPage:
        """Return one page of audit events, newest first (admin); pass ``next_cursor`` as ``cursor`` for the next."""
        return self._run(ops.audit_query(account, type, since, until, limit, cursor))

    def policy_evaluate(
        self, subject_id: str, action: str, resource_type: str, resource_id: str | None = None
    ) -> EvaluateResult:
        """Ask what the policy engine would decide for a subject, action and resource (admin)."""
        return self._run(ops.policy_evaluate(subject_id, action, resource_type, resource_id))

    def vault_status(self) -> VaultStatus:
        """Tell whether the vault is sealed."""
        return self._run(ops.vault_status())

    def seal(self) -> VaultStatus:
        """Seal the vault (admin): every /v1 call but health, status and unseal raises VaultSealedError."""
        return self._run(ops.vault_seal())

    def unseal(self, passphrase: str) -> VaultStatus:
        """Unseal the vault with the master passphrase (no token; rate limited per IP)."""
        return self._run(ops.vault_unseal(passphrase))


class AsyncClient(_Base):
    """Asynchronous MCIAS client (asyncio); the same methods as :class:`Client`, awaited.

    Use ``async with AsyncClient(...) as c:`` or call :meth:`aclose`. Arguments as for :class:`Client`.
    """

    def __init__(
        self,
        base_url: str,
        *,
        ca_file: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
        issuer: str | None = None,
        audience: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, ca_file=ca_file, token=token, timeout=timeout, issuer=issuer, audience=audience)
        self._http = httpx.AsyncClient(verify=self._ssl, timeout=timeout, follow_redirects=False, transport=transport)
        self._key_lock = asyncio.Lock()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    async def _run(self, op: ops.Op[T]) -> T:
        try:
            res = await self._http.request(
                op.method, self.base_url + op.path, json=op.body, params=op.query or None, headers=self._headers(op)
            )
        except httpx.HTTPError as e:
            raise self._transport_error(op, e) from None
        return ops.read_response(op, res.status_code, res.text, res.headers.get("retry-after"))

    async def verify_locally(self, token: str) -> Claims:
        """Verify ``token`` without asking the server (see :meth:`Client.verify_locally`)."""
        issuer = self._need_issuer()
        kid = header_kid(token)
        async with self._key_lock:
            key = self._keys.find(kid)
            if key is None and self._keys.should_fetch():
                doc = await self._run(ops.jwks_raw())
                self._keys.store(doc)
                key = self._keys.find(kid)
        if key is None:
            from ._errors import InvalidTokenError

            raise InvalidTokenError("token rejected: unknown kid")
        return verify(token, key, issuer, self._audience)

    async def health(self) -> Health:
        """``GET /v1/health``: ``status`` ``"ok"``, or ``"sealed"`` while sealed (not an error)."""
        return await self._run(ops.health())

    async def public_key(self) -> Jwk:
        """``GET /v1/keys/public``: the token-signing key as a JWK."""
        return await self._run(ops.public_key())

    async def jwks(self) -> JwkSet:
        """``GET /.well-known/jwks.json``: the JWK Set."""
        return await self._run(ops.jwks())

    async def login(self, username: str, password: str, totp_code: str | None = None) -> TokenResponse:
        """Log a human account in (``totp_code`` when TOTP is enrolled); the client uses the new token from then on.

        Every failure (unknown user, wrong password or code, inactive account) is :class:`UnauthorizedError`.
        """
        r = await self._run(ops.login(username, password, totp_code))
        self._token = r.token
        return r

    async def logout(self) -> None:
        """Revoke the current token and forget it."""
        await self._run(ops.logout())
        self._token = None

    async def renew(self) -> TokenResponse:
        """Exchange the current token for a fresh one (the old one is revoked); the client uses the new one."""
        r = await self._run(ops.renew())
        self._token = r.token
        return r

    async def me(self) -> Account:
        """``GET /v1/auth/me``: the caller's account."""
        return await self._run(ops.me())

    async def change_password(self, current_password: str, new_password: str) -> None:
        """Change the caller's own password; all its other tokens are revoked."""
        return await self._run(ops.change_password(current_password, new_password))

    async def totp_enroll(self, current_password: str) -> TotpEnrollment:
        """Start TOTP enrollment (step-up: the current password is required); active once confirmed."""
        return await self._run(ops.totp_enroll(current_password))

    async def totp_confirm(self, code: str) -> None:
        """Turn TOTP on with a current code; from then on login needs a code."""
        return await self._run(ops.totp_confirm(code))

    async def validate(self, token: str) -> Validation:
        """Ask the server whether ``token`` is valid (no bearer needed); invalid is ``valid=False``, not an error."""
        return await self._run(ops.validate(token))

    async def revoke_token(self, jti: str) -> None:
        """Revoke the token with this ``jti``."""
        return await self._run(ops.revoke_token(jti))

    async def issue_service_token(self, account_id: str) -> IssuedToken:
        """Issue a system account's new token (its previous one is revoked); the client's token is unchanged."""
        return await self._run(ops.issue_service_token(account_id))

    async def list_tokens(self, account_id: str) -> list[TokenInfo]:
        """List an account's tokens (metadata only)."""
        return await self._run(ops.list_tokens(account_id))

    async def create_account(
        self, username: str, account_type: str, password: str | None = None, roles: list[str] | None = None
    ) -> Account:
        """Create a ``"human"`` or ``"system"`` account (admin); system accounts have no password."""
        return await self._run(ops.create_account(username, account_type, password, roles))

    async def list_accounts(self, status: str | None = None) -> list[Account]:
        """List accounts (admin); deleted ones only with ``status="deleted"``."""
        return await self._run(ops.list_accounts(status))

    async def get_account(self, account_id: str) -> Account:
        """Return one account."""
        return await self._run(ops.get_account(account_id))

    async def update_account(self, account_id: str, status: str) -> Account:
        """Set an account's status ``"active"``/``"inactive"`` (admin); inactive revokes its tokens."""
        return await self._run(ops.update_account(account_id, status))

    async def delete_account(self, account_id: str) -> None:
        """Soft-delete an account (admin): tokens revoked, username stays reserved."""
        return await self._run(ops.delete_account(account_id))

    async def set_password(self, account_id: str, password: str) -> None:
        """Set another account's password (admin); all its tokens are revoked."""
        return await self._run(ops.set_password(account_id, password))

    async def get_roles(self, account_id: str) -> list[str]:
        """Return an account's roles."""
        return await self._run(ops.get_roles(account_id))

    async def set_roles(self, account_id: str, roles: list[str]) -> list[str]:
        """Replace an account's roles; returns the new set."""
        return await self._run(ops.set_roles(account_id, roles))

    async def grant_role(self, account_id: str, role: str) -> list[str]:
        """Add one role; returns the new set."""
        return await self._run(ops.grant_role(account_id, role))

    async def revoke_role(self, account_id: str, role: str) -> list[str]:
        """Remove one role; returns the new set."""
        return await self._run(ops.revoke_role(account_id, role))

    async def get_tags(self, account_id: str) -> list[str]:
        """Return an account's tags."""
        return await self._run(ops.get_tags(account_id))

    async def set_tags(self, account_id: str, tags: list[str]) -> list[str]:
        """Replace an account's tags; returns the new set."""
        return await self._run(ops.set_tags(account_id, tags))

    async def get_pgcreds(self, account_id: str) -> PgCreds:
        """Read a system account's Postgres credentials (``password`` only for a manager or the account itself)."""
        return await self._run(ops.get_pgcreds(account_id))

    async def set_pgcreds(
        self, account_id: str, *, host: str, port: int, database: str, username: str, password: str
    ) -> None:
        """Store a system account's Postgres credentials (admin); the server encrypts the password."""
        return await self._run(ops.set_pgcreds(account_id, host, port, database, username, password))

    async def list_pgcreds(self) -> list[PgCredsSummary]:
        """List every credential the caller may read (metadata, never passwords)."""
        return await self._run(ops.list_pgcreds())

    async def audit_query(
        self,
        *,
        account: str | None = None,
        type: str | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AuditPage:
        """Return one page of audit events, newest first (admin); pass ``next_cursor`` as ``cursor`` for the next."""
        return await self._run(ops.audit_query(account, type, since, until, limit, cursor))

    async def policy_evaluate(
        self, subject_id: str, action: str, resource_type: str, resource_id: str | None = None
    ) -> EvaluateResult:
        """Ask what the policy engine would decide for a subject, action and resource (admin)."""
        return await self._run(ops.policy_evaluate(subject_id, action, resource_type, resource_id))

    async def vault_status(self) -> VaultStatus:
        """Tell whether the vault is sealed."""
        return await self._run(ops.vault_status())

    async def seal(self) -> VaultStatus:
        """Seal the vault (admin): every /v1 call but health, status and unseal raises VaultSealedError."""
        return await self._run(ops.vault_seal())

    async def unseal(self, passphrase: str) -> VaultStatus:
        """Unseal the vault with the master passphrase (no token; rate limited per IP)."""
        return await self._run(ops.vault_unseal(passphrase))
