"""Each REST call as data: method, path, body, and how to read the answer.

Shared by the sync and async clients so the two never drift apart.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlsplit

from ._errors import BadRequestError, TransportError, error_from_response
from ._models import (
    Account,
    AuditPage,
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
    _get,
    _obj,
    _strs,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Op(Generic[T]):
    """One request and the parser of its successful answer."""

    method: str
    path: str
    parse: Callable[[object], T]
    body: Mapping[str, Any] | None = None
    query: Mapping[str, str] = field(default_factory=dict)
    auth: bool = True
    ok_status: tuple[int, ...] = ()


def check_base_url(url: str) -> str:
    """Return the base URL without a trailing slash; https only (http for loopback)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequestError("base_url is not a valid absolute URL")
    host = parts.hostname
    loopback = host == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    if parts.scheme != "https" and not loopback:
        raise BadRequestError("base_url must be https:// (http:// only for loopback)")
    return url.rstrip("/")


def seg(s: str) -> str:
    """One escaped path segment; "", "." and ".." are refused."""
    if s in ("", ".", ".."):
        raise BadRequestError("invalid path parameter")
    return quote(s, safe="")


def read_response(op: Op[T], status: int, text: str, retry_after: str | None) -> T:
    """Turn an HTTP answer into the op's result or raise the typed error."""
    parsed: object = None
    if text.strip():
        try:
            parsed = json.loads(text)
        except ValueError:
            if 200 <= status < 300 or status in op.ok_status:
                raise TransportError(f"{op.method} {op.path}: the response is not JSON", status=status) from None
    if 200 <= status < 300 or status in op.ok_status:
        try:
            return op.parse(parsed)
        except TransportError as e:
            raise TransportError(f"{op.method} {op.path}: {e.message}", status=status) from None
    raise error_from_response(status, parsed, retry_after)


def _void(_: object) -> None:
    return None


def _field_list(name: str) -> Callable[[object], list[str]]:
    return lambda data: _strs(_obj(data, name), name)


def _time(t: datetime | str | None) -> str | None:
    if t is None or isinstance(t, str):
        return t
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


# ---- system ----------------------------------------------------------------------


def health() -> Op[Health]:
    return Op("GET", "/v1/health", Health.from_json, auth=False, ok_status=(503,))


def public_key() -> Op[Jwk]:
    return Op("GET", "/v1/keys/public", Jwk.from_json, auth=False)


def jwks() -> Op[JwkSet]:
    return Op("GET", "/.well-known/jwks.json", JwkSet.from_json, auth=False)


def jwks_raw() -> Op[dict[str, Any]]:
    def parse(data: object) -> dict[str, Any]:
        d = _obj(data, "jwks")
        _get(d, "keys", list)
        return d

    return Op("GET", "/.well-known/jwks.json", parse, auth=False)


# ---- auth ------------------------------------------------------------------------


def login(username: str, password: str, totp_code: str | None) -> Op[TokenResponse]:
    body = {"username": username, "password": password}
    if totp_code:
        body["totp_code"] = totp_code
    return Op("POST", "/v1/auth/login", TokenResponse.from_json, body=body, auth=False)


def logout() -> Op[None]:
    return Op("POST", "/v1/auth/logout", _void)


def renew() -> Op[TokenResponse]:
    return Op("POST", "/v1/auth/renew", TokenResponse.from_json)


def me() -> Op[Account]:
    return Op("GET", "/v1/auth/me", Account.from_json)


def change_password(current_password: str, new_password: str) -> Op[None]:
    body = {"current_password": current_password, "new_password": new_password}
    return Op("PUT", "/v1/auth/password", _void, body=body)


def totp_enroll(current_password: str) -> Op[TotpEnrollment]:
    return Op("POST", "/v1/auth/totp/enroll", TotpEnrollment.from_json, body={"current_password": current_password})


def totp_confirm(code: str) -> Op[None]:
    # 204, or 200 with a body (recovery codes): either way nothing to return here.
    return Op("POST", "/v1/auth/totp/confirm", _void, body={"code": code})


# ---- tokens ----------------------------------------------------------------------


def validate(token: str) -> Op[Validation]:
    return Op("POST", "/v1/token/validate", Validation.from_json, body={"token": token}, auth=False)


def revoke_token(jti: str) -> Op[None]:
    return Op("DELETE", f"/v1/token/{seg(jti)}", _void)


def issue_service_token(account_id: str) -> Op[IssuedToken]:
    return Op("POST", f"/v1/accounts/{seg(account_id)}/token", IssuedToken.from_json)


def list_tokens(account_id: str) -> Op[list[TokenInfo]]:
    return Op("GET", f"/v1/accounts/{seg(account_id)}/tokens", TokenInfo.list_from_json)


# ---- accounts --------------------------------------------------------------------


def create_account(username: str, account_type: str, password: str | None, roles: list[str] | None) -> Op[Account]:
    body: dict[str, Any] = {"username": username, "account_type": account_type}
    if password is not None:
        body["password"] = password
    if roles is not None:
        body["roles"] = list(roles)
    return Op("POST", "/v1/accounts", Account.from_json, body=body)


def list_accounts(status: str | None) -> Op[list[Account]]:
    return Op("GET", "/v1/accounts", Account.list_from_json, query={"status": status} if status else {})


def get_account(account_id: str) -> Op[Account]:
    return Op("GET", f"/v1/accounts/{seg(account_id)}", Account.from_json)


def update_account(account_id: str, status: str) -> Op[Account]:
    return Op("PATCH", f"/v1/accounts/{seg(account_id)}", Account.from_json, body={"status": status})


def delete_account(account_id: str) -> Op[None]:
    return Op("DELETE", f"/v1/accounts/{seg(account_id)}", _void)


def set_password(account_id: str, password: str) -> Op[None]:
    return Op("PUT", f"/v1/accounts/{seg(account_id)}/password", _void, body={"password": password})


# ---- roles and tags --------------------------------------------------------------


def get_roles(account_id: str) -> Op[list[str]]:
    return Op("GET", f"/v1/accounts/{seg(account_id)}/roles", _field_list("roles"))


def set_roles(account_id: str, roles: list[str]) -> Op[list[str]]:
    return Op("PUT", f"/v1/accounts/{seg(account_id)}/roles", _field_list("roles"), body={"roles": list(roles)})


def grant_role(account_id: str, role: str) -> Op[list[str]]:
    return Op("POST", f"/v1/accounts/{seg(account_id)}/roles", _field_list("roles"), body={"role": role})


def revoke_role(account_id: str, role: str) -> Op[list[str]]:
    return Op("DELETE", f"/v1/accounts/{seg(account_id)}/roles/{seg(role)}", _field_list("roles"))


def get_tags(account_id: str) -> Op[list[str]]:
    return Op("GET", f"/v1/accounts/{seg(account_id)}/tags", _field_list("tags"))


def set_tags(account_id: str, tags: list[str]) -> Op[list[str]]:
    return Op("PUT", f"/v1/accounts/{seg(account_id)}/tags", _field_list("tags"), body={"tags": list(tags)})


# ---- Postgres credentials --------------------------------------------------------


def get_pgcreds(account_id: str) -> Op[PgCreds]:
    return Op("GET", f"/v1/accounts/{seg(account_id)}/pgcreds", PgCreds.from_json)


def set_pgcreds(account_id: str, host: str, port: int, database: str, username: str, password: str) -> Op[None]:
    body = {"host": host, "port": port, "database": database, "username": username, "password": password}
    return Op("PUT", f"/v1/accounts/{seg(account_id)}/pgcreds", _void, body=body)


def list_pgcreds() -> Op[list[PgCredsSummary]]:
    return Op("GET", "/v1/pgcreds", PgCredsSummary.list_from_json)


# ---- audit, policy, vault --------------------------------------------------------


def audit_query(
    account: str | None,
    type: str | None,
    since: datetime | str | None,
    until: datetime | str | None,
    limit: int | None,
    cursor: str | None,
) -> Op[AuditPage]:
    q = {
        "account": account,
        "type": type,
        "since": _time(since),
        "until": _time(until),
        "limit": None if limit is None else str(limit),
        "cursor": cursor,
    }
    return Op("GET", "/v1/audit", AuditPage.from_json, query={k: v for k, v in q.items() if v is not None})


def policy_evaluate(subject_id: str, action: str, resource_type: str, resource_id: str | None) -> Op[EvaluateResult]:
    resource = {"type": resource_type} | ({"id": resource_id} if resource_id is not None else {})
    body = {"subject_id": subject_id, "action": action, "resource": resource}
    return Op("POST", "/v1/policy/evaluate", EvaluateResult.from_json, body=body)


def vault_status() -> Op[VaultStatus]:
    return Op("GET", "/v1/vault/status", VaultStatus.from_json, auth=False)


def vault_seal() -> Op[VaultStatus]:
    return Op("POST", "/v1/vault/seal", VaultStatus.from_json)


def vault_unseal(passphrase: str) -> Op[VaultStatus]:
    return Op("POST", "/v1/vault/unseal", VaultStatus.from_json, body={"passphrase": passphrase}, auth=False)
