"""The Python runner of clients/conformance/cases.json (format: clients/conformance/README.md).

Every case, in file order, against one fresh real server — once with the sync
:class:`Client`, once with the :class:`AsyncClient` (each on its own server).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import inspect
import json
import re
import struct
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from mcias_client import (
    AsyncClient,
    BadRequestError,
    Client,
    ConflictError,
    ForbiddenError,
    InvalidTokenError,
    McIasError,
    NotFoundError,
    RateLimitedError,
    TransportError,
    UnauthorizedError,
    VaultSealedError,
)

from .conftest import ROOT, Server

SUITE = json.loads((ROOT / "clients" / "conformance" / "cases.json").read_text())
FEATURES = {"verify_locally"}
STATUS = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "rate_limited": 429,
    "vault_sealed": 503,
    "transport": 0,
    "invalid_token": 0,
}
KIND: dict[str, type[McIasError]] = {
    "bad_request": BadRequestError,
    "unauthorized": UnauthorizedError,
    "forbidden": ForbiddenError,
    "not_found": NotFoundError,
    "conflict": ConflictError,
    "rate_limited": RateLimitedError,
    "vault_sealed": VaultSealedError,
    "transport": TransportError,
    "invalid_token": InvalidTokenError,
}


def test_format() -> None:
    assert SUITE["format"] == 1


# ---- TOTP: RFC 6238 with the standard library's HMAC-SHA1 ------------------------------


def totp_at(secret: str, at: float) -> str:
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    n = struct.unpack(">I", mac[off : off + 4])[0] & 0x7FFFFFFF
    return f"{n % 1_000_000:06d}"


def test_totp_helper_rfc6238_vectors() -> None:
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp_at(secret, 59) == "287082"
    assert totp_at(secret, 1111111109) == "081804"
    assert totp_at(secret, 1234567890) == "005924"


# ---- substitution, paths, matchers ----------------------------------------------------

VAR = re.compile(r"\$\{([^}]+)\}")
ABSENT = object()


def lookup(vars_: dict[str, Any], expr: str) -> Any:
    if expr.startswith("totp:"):
        return totp_at(vars_[expr[5:]], time.time())
    if expr.startswith("totp_next:"):
        return totp_at(vars_[expr[10:]], time.time() + 30)
    if expr not in vars_:
        raise AssertionError(f"unknown variable ${{{expr}}}")
    return vars_[expr]


def subst(v: Any, vars_: dict[str, Any]) -> Any:
    if isinstance(v, str):
        m = VAR.fullmatch(v)
        if m:
            return lookup(vars_, m.group(1))
        return VAR.sub(lambda m: str(lookup(vars_, m.group(1))), v)
    if isinstance(v, list):
        return [subst(x, vars_) for x in v]
    if isinstance(v, dict):
        return {k: subst(x, vars_) for k, x in v.items()}
    return v


def at(v: Any, path: str) -> Any:
    if path == "":
        return v
    cur = v
    for seg in path.split("."):
        if isinstance(cur, list) and seg.isdigit():
            cur = cur[int(seg)] if int(seg) < len(cur) else ABSENT
        elif isinstance(cur, dict):
            cur = cur.get(seg, ABSENT)
        else:
            return ABSENT
    return cur


def eq(a: Any, b: Any) -> bool:
    if a is ABSENT:
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def type_name(v: Any) -> str:
    if v is None or v is ABSENT:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int | float):
        return "number"
    names: dict[type, str] = {str: "string", list: "array", dict: "object"}
    return names.get(type(v), type(v).__name__)


def show(v: Any) -> str:
    return "<absent>" if v is ABSENT else json.dumps(v)


def match_obj(v: Any, spec: dict[str, Any]) -> list[str]:
    return [f"{p or '<result>'}: {e}" for p, m in spec.items() for e in match(at(v, p), m)]


def match(v: Any, m: Any) -> list[str]:
    if m is None:
        return [] if v is None or v is ABSENT else [f"expected absent/null, got {show(v)}"]
    if not isinstance(m, dict):
        return [] if eq(v, m) else [f"expected {json.dumps(m)}, got {show(v)}"]
    errs: list[str] = []
    arr = v if isinstance(v, list) else None
    for k, a in m.items():
        ok: bool
        if k == "eq":
            ok = eq(v, a)
        elif k == "ne":
            ok = not eq(v, a)
        elif k == "type":
            ok = type_name(v) == a
        elif k == "present":
            ok = (v is not None and v is not ABSENT) == a
        elif k == "nonempty":
            ok = (isinstance(v, str | list) and len(v) > 0) == a
        elif k == "length":
            ok = arr is not None and len(arr) == a
        elif k == "min_length":
            ok = arr is not None and len(arr) >= a
        elif k == "min":
            ok = type_name(v) == "number" and v >= a
        elif k == "set":
            ok = arr is not None and len(arr) == len(a) and all(any(eq(x, w) for x in arr) for w in a)
        elif k == "contains":
            ok = arr is not None and any(eq(x, a) for x in arr)
        elif k == "excludes":
            ok = arr is not None and not any(eq(x, a) for x in arr)
        elif k == "some":
            ok = arr is not None and any(not match_obj(x, a) for x in arr)
        elif k == "none":
            ok = arr is not None and not any(not match_obj(x, a) for x in arr)
        elif k == "all":
            if arr is None:
                errs.append(f"expected an array, got {show(v)}")
                continue
            errs += [f"[{i}].{e}" for i, x in enumerate(arr) for e in match_obj(x, a)]
            continue
        else:
            raise AssertionError(f"unknown matcher {k!r}")
        if not ok:
            errs.append(f"{k} {json.dumps(a)} failed on {show(v)}")
    return errs


# ---- ops ------------------------------------------------------------------------------

AnyClient = Client | AsyncClient
OPS: dict[str, Callable[[AnyClient, dict[str, Any]], Any]] = {
    "health": lambda c, a: c.health(),
    "public_key": lambda c, a: c.public_key(),
    "jwks": lambda c, a: c.jwks(),
    "login": lambda c, a: c.login(a["username"], a["password"], a.get("totp_code")),
    "logout": lambda c, a: c.logout(),
    "renew": lambda c, a: c.renew(),
    "validate": lambda c, a: c.validate(a["token"]),
    "me": lambda c, a: c.me(),
    "create_account": lambda c, a: c.create_account(
        a["username"], a["account_type"], a.get("password"), a.get("roles")
    ),
    "list_accounts": lambda c, a: c.list_accounts(a.get("status")),
    "get_account": lambda c, a: c.get_account(a["id"]),
    "update_account": lambda c, a: c.update_account(a["id"], a["status"]),
    "delete_account": lambda c, a: c.delete_account(a["id"]),
    "set_password": lambda c, a: c.set_password(a["id"], a["password"]),
    "get_roles": lambda c, a: c.get_roles(a["id"]),
    "set_roles": lambda c, a: c.set_roles(a["id"], a["roles"]),
    "grant_role": lambda c, a: c.grant_role(a["id"], a["role"]),
    "revoke_role": lambda c, a: c.revoke_role(a["id"], a["role"]),
    "get_tags": lambda c, a: c.get_tags(a["id"]),
    "set_tags": lambda c, a: c.set_tags(a["id"], a["tags"]),
    "issue_service_token": lambda c, a: c.issue_service_token(a["id"]),
    "revoke_token": lambda c, a: c.revoke_token(a["jti"]),
    "list_tokens": lambda c, a: c.list_tokens(a["id"]),
    "get_pgcreds": lambda c, a: c.get_pgcreds(a["id"]),
    "set_pgcreds": lambda c, a: c.set_pgcreds(
        a["id"], host=a["host"], port=a["port"], database=a["database"], username=a["username"], password=a["password"]
    ),
    "list_pgcreds": lambda c, a: c.list_pgcreds(),
    "audit_query": lambda c, a: c.audit_query(**a),
    "policy_evaluate": lambda c, a: c.policy_evaluate(
        a["subject_id"], a["action"], a["resource"]["type"], a["resource"].get("id")
    ),
    "totp_enroll": lambda c, a: c.totp_enroll(a["current_password"]),
    "totp_confirm": lambda c, a: c.totp_confirm(a["code"]),
    "vault_status": lambda c, a: c.vault_status(),
    "vault_seal": lambda c, a: c.seal(),
    "vault_unseal": lambda c, a: c.unseal(a["passphrase"]),
    "verify_locally": lambda c, a: c.verify_locally(a["token"]),
    "get_token": lambda c, a: c.token,
    "set_token": lambda c, a: setattr(c, "token", a["token"]),
}


def to_json(v: Any) -> Any:
    """Typed result → plain JSON values with the wire names."""
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: to_json(getattr(v, f.name)) for f in dataclasses.fields(v)}
    if isinstance(v, list):
        return [to_json(x) for x in v]
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    if isinstance(v, datetime):
        return v.isoformat()
    return v


def check_error(where: str, e: McIasError, kind: str) -> None:
    assert isinstance(e, KIND[kind]), f"{where}: expected {kind}, got {e!r}"
    assert e.code == kind, f"{where}: code {e.code}"
    assert e.status == STATUS[kind], f"{where}: {kind} with status {e.status}"
    if kind == "rate_limited":
        assert isinstance(e, RateLimitedError)
        assert e.retry_after is not None and e.retry_after >= 1, f"{where}: no Retry-After"


async def run_case(case: dict[str, Any], srv: Server, make: Callable[[str, bool], AnyClient]) -> None:
    vars_: dict[str, Any] = dict(srv.info)
    clients: dict[str, AnyClient] = {}
    try:
        for i, st in enumerate(case["steps"], 1):
            where = f"{case['name']} step {i} ({st['op']})"
            name = st.get("client", "main")
            if name not in clients:
                clients[name] = make(name, case.get("clients", {}).get(name, {}).get("trust_ca", True))
            c = clients[name]
            args = subst(st.get("args", {}), vars_)
            expect = st.get("expect", {})
            repeat = st.get("repeat")
            attempts = repeat["max_attempts"] if repeat else 1
            result: Any = None
            for n in range(1, attempts + 1):
                err: McIasError | None = None
                out: Any = None
                try:
                    out = OPS[st["op"]](c, args)
                    if inspect.isawaitable(out):
                        out = await out
                except McIasError as e:
                    err = e
                if repeat and err is not None:
                    check_error(f"{where} attempt {n}", err, repeat["until_error"])
                    assert n > 1, f"{where}: failed at the first attempt"
                    break
                assert not (repeat and n == attempts), f"{where}: no {repeat['until_error']} in {attempts} attempts"
                if "error" in expect:
                    assert err is not None, f"{where}: expected {expect['error']}, got success"
                    check_error(where, err, expect["error"])
                    break
                assert err is None, f"{where}: unexpected {err!r}"
                result = to_json(out)
                errs = match_obj(result, subst(expect.get("result", {}), vars_))
                assert not errs, f"{where}: {'; '.join(errs)}"
            for var, path in st.get("save", {}).items():
                v = at(result, path)
                assert v is not ABSENT, f"{where}: nothing at {path!r} to save as {var}"
                vars_[var] = v
    finally:
        for c in clients.values():
            if isinstance(c, AsyncClient):
                await c.aclose()
            else:
                c.close()


def _params() -> list[Any]:
    out = []
    for case in SUITE["cases"]:
        missing = [f for f in case.get("requires", []) if f not in FEATURES]
        marks = [pytest.mark.skip(reason=f"needs {', '.join(missing)}")] if missing else []
        out.append(pytest.param(case, id=case["name"], marks=marks))
    return out


@pytest.mark.parametrize("case", _params())
def test_sync_case(case: dict[str, Any], sync_conformance_server: Server) -> None:
    srv = sync_conformance_server

    def make(_: str, trust: bool) -> AnyClient:
        return Client(srv.url, ca_file=srv.ca_file if trust else None, issuer=srv.issuer)

    asyncio.run(run_case(case, srv, make))


@pytest.mark.parametrize("case", _params())
def test_async_case(case: dict[str, Any], async_conformance_server: Server) -> None:
    srv = async_conformance_server

    def make(_: str, trust: bool) -> AnyClient:
        return AsyncClient(srv.url, ca_file=srv.ca_file if trust else None, issuer=srv.issuer)

    asyncio.run(run_case(case, srv, make))
