"""The client's own tests: secrets never printed or logged, error kinds, concurrency,
the JWKS cache, claim checks, response shapes, docs. Server tests use the real server.
"""

from __future__ import annotations

import asyncio
import json
import logging
import pydoc
import ssl
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mcias_client import (
    AsyncClient,
    BadRequestError,
    Client,
    ForbiddenError,
    InvalidTokenError,
    McIasError,
    RateLimitedError,
    TransportError,
    UnauthorizedError,
)

from .conftest import Server


def admin(server: Server, **kw: Any) -> Client:
    c = Client(server.url, ca_file=server.ca_file, issuer=server.issuer, **kw)
    c.login(server.admin_username, server.admin_password)
    return c


def test_secrets_never_in_text_repr_or_logs(server: Server, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log requests at INFO/DEBUG
    a = admin(server)
    user_pass = "redaction-password-1"
    a.create_account("redact", "human", user_pass)
    svc = a.create_account("redact-svc", "system")
    pg_pass = "pg-password-never-printed"
    a.set_pgcreds(svc.id, host="h", port=5432, database="d", username="u", password=pg_pass)
    u = Client(server.url, ca_file=server.ca_file, issuer=server.issuer)
    tr = u.login("redact", user_pass)
    issued = a.issue_service_token(svc.id)
    creds = a.get_pgcreds(svc.id)
    assert creds.password == pg_pass
    enr = u.totp_enroll(user_pass)

    errors: list[McIasError] = []
    for call in (
        lambda: u.login("redact", "wrong-" + user_pass),
        lambda: u.list_accounts(),
        lambda: Client(server.url, token=tr.token).me(),  # untrusted CA: transport
        lambda: Client(server.url).login("redact", user_pass),
        lambda: u.verify_locally(tr.token + "x"),
        lambda: Client("https://127.0.0.1:1", token=tr.token).me(),
        lambda: a.set_password("00000000-0000-4000-8000-000000000000", user_pass),
        lambda: u.change_password("wrong-" + user_pass, user_pass + "-new"),
    ):
        with pytest.raises(McIasError) as ei:
            call()
        errors.append(ei.value)

    texts = [repr(x) + str(x) for x in (u, a, tr, issued, creds, enr)]
    for e in errors:
        texts += [str(e), repr(e), e.message]
        if e.__cause__ is not None:
            texts.append(str(e.__cause__))
    texts += [r.getMessage() for r in caplog.records]
    assert any("HTTP Request" in r.getMessage() for r in caplog.records), "httpx logging was not captured"
    secrets = [tr.token, issued.token, user_pass, pg_pass, enr.secret, server.admin_password, tr.token[-20:]]
    for t in texts:
        for s in secrets:
            assert s not in t, f"a secret appears in {t!r}"
    assert "<redacted>" in repr(u)
    assert u.token == tr.token  # the value is still there for the program
    for c in (u, a):
        c.close()


def test_error_kinds(server: Server) -> None:
    with Client(server.url, ca_file=server.ca_file) as c:
        with pytest.raises(UnauthorizedError) as ei:
            c.me()
        e = ei.value
        assert (e.status, e.code) == (401, "unauthorized")
        assert isinstance(e, McIasError)
        assert not isinstance(e, ForbiddenError)
        with pytest.raises(BadRequestError):
            c.get_account("..")
    with pytest.raises(BadRequestError):
        Client("http://example.com")
    Client("http://127.0.0.1:1").close()
    with pytest.raises(TransportError):
        Client("https://127.0.0.1", ca_file="/nonexistent/ca.pem")


def test_rate_limited_retry_after_parsed() -> None:
    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "7"}, json={"error": "slow down", "code": "rate_limited"})

    with Client("https://mcias.test", transport=httpx.MockTransport(handler)) as c:
        with pytest.raises(RateLimitedError) as ei:
            c.health()
        assert ei.value.retry_after == 7
        assert ei.value.status == 429


def test_async_concurrent_use(server: Server) -> None:
    async def main() -> None:
        async with AsyncClient(server.url, ca_file=server.ca_file, issuer=server.issuer) as c:
            tok = await c.login(server.admin_username, server.admin_password)
            results = await asyncio.gather(
                *[c.me() for _ in range(10)], *[c.verify_locally(tok.token) for _ in range(10)]
            )
            assert len(results) == 20
            assert all(getattr(r, "username", None) == server.admin_username for r in results)

    asyncio.run(main())


class CountingTransport(httpx.HTTPTransport):
    def __init__(self, ca_file: str) -> None:
        super().__init__(verify=ssl.create_default_context(cafile=ca_file))
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return super().handle_request(request)


def test_jwks_cached_and_refreshed_on_unknown_kid(server: Server) -> None:
    tr = CountingTransport(server.ca_file)
    with Client(server.url, issuer=server.issuer, transport=tr) as c:
        tok = c.login(server.admin_username, server.admin_password).token
        for _ in range(3):
            claims = c.verify_locally(tok)
            assert claims.username == server.admin_username and claims.iss == server.issuer
        assert tr.paths.count("/.well-known/jwks.json") == 1
        key = Ed25519PrivateKey.generate()
        now = int(time.time())
        forged = jwt.encode(
            {"iss": server.issuer, "sub": "x", "jti": "j", "iat": now, "exp": now + 3600},
            key,
            algorithm="EdDSA",
            headers={"kid": "other-kid"},
        )
        with pytest.raises(InvalidTokenError):
            c.verify_locally(forged)
        assert tr.paths.count("/.well-known/jwks.json") == 2
        with pytest.raises(InvalidTokenError):
            c.verify_locally(forged)
        assert tr.paths.count("/.well-known/jwks.json") == 2, "a second unknown kid within 30 s refetched"
        # The server's kid on a foreign signature.
        h = tok.split(".")[0]
        p, s = forged.split(".")[1:]
        with pytest.raises(InvalidTokenError):
            c.verify_locally(f"{h}.{p}.{s}")
    with (
        Client(server.url, ca_file=server.ca_file, issuer="https://other.example") as c2,
        pytest.raises(InvalidTokenError),
    ):
        c2.verify_locally(tok)
    with Client(server.url, ca_file=server.ca_file) as c3, pytest.raises(BadRequestError):
        c3.verify_locally(tok)


def test_claim_checks_against_our_own_jwks() -> None:
    key = Ed25519PrivateKey.generate()
    pub = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    pub.update({"kid": "k1", "alg": "EdDSA", "use": "sig"})

    def handler(req: httpx.Request) -> httpx.Response:
        assert req.url.path == "/.well-known/jwks.json"
        return httpx.Response(200, json={"keys": [pub]})

    iss = "https://issuer.test"
    now = int(time.time())
    good = {"iss": iss, "sub": "s", "jti": "j", "iat": now, "exp": now + 3600, "username": "u", "roles": ["r"]}

    def sign(claims: dict[str, Any], **headers: Any) -> str:
        return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": "k1", **headers})

    def without(k: str) -> dict[str, Any]:
        return {x: v for x, v in good.items() if x != k}

    bad = {
        "expired beyond skew": sign(good | {"exp": now - 120}),
        "iat in the future": sign(good | {"iat": now + 300}),
        "other issuer": sign(good | {"iss": "https://evil.test"}),
        "no jti": sign(without("jti")),
        "no sub": sign(without("sub")),
        "no exp": sign(without("exp")),
        "jku header": sign(good, jku="https://evil.test/jwks"),
        "no kid": jwt.encode(good, key, algorithm="EdDSA"),
        "alg none": "eyJhbGciOiJub25lIiwidHlwIjoiSldUIiwia2lkIjoiazEifQ.eyJzdWIiOiJ4In0.",
        "HS256 with the public key as secret": jwt.encode(good, "k" * 32, algorithm="HS256", headers={"kid": "k1"}),
        "garbage": "a.b.c",
        "two parts": "a.b",
        "audience of another app": sign(good | {"aud": "other-app"}),
    }
    with Client("https://mcias.test", issuer=iss, audience="my-app", transport=httpx.MockTransport(handler)) as c:
        for name, tok in bad.items():
            with pytest.raises(InvalidTokenError):
                c.verify_locally(tok)
            assert name
        assert c.verify_locally(sign(good | {"aud": "my-app"})).aud == "my-app"
        assert c.verify_locally(sign(good)).roles == ["r"]
        assert c.verify_locally(sign(good | {"exp": now - 30})).sub == "s"  # within the 60 s skew


def test_response_shapes() -> None:
    body: dict[str, Any] = {}

    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(
            body["status"], content=body["text"].encode(), headers={"content-type": "application/json"}
        )

    def answer(text: str, status: int = 200) -> None:
        body.update(text=text, status=status)

    acct = {
        "id": "i",
        "username": "u",
        "account_type": "human",
        "status": "active",
        "roles": [],
        "tags": [],
        "totp_enabled": False,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00.123Z",
    }
    with Client("https://mcias.test", token="t", transport=httpx.MockTransport(handler)) as c:
        answer(json.dumps(acct | {"email": "u@example.com", "display_name": "U", "future": {"x": 1}}))
        assert c.me().username == "u"
        answer(json.dumps({k: v for k, v in acct.items() if k != "totp_enabled"}))
        with pytest.raises(TransportError, match="totp_enabled"):
            c.me()
        answer(json.dumps(acct | {"roles": "admin"}))
        with pytest.raises(TransportError):
            c.me()
        answer('{"token":"abc"}')
        with pytest.raises(TransportError):
            c.renew()
        assert c.token == "t", "a failed renew replaced the token"
        answer('[{"jti":"a","issued_at":"2026-01-01T00:00:00Z","expires_at":"2026-01-01T00:00:00Z"},{"jti":"b"}]')
        with pytest.raises(TransportError):
            c.list_tokens("x")
        answer("not json")
        with pytest.raises(TransportError):
            c.health()
        answer('{"status":"sealed"}', 503)
        assert c.health().status == "sealed"
        answer('{"recovery_codes":["a","b"]}')
        c.totp_confirm("123456")  # 200 with a body is fine
        answer("", 204)
        c.totp_confirm("123456")


def test_help_shows_docs() -> None:
    doc = pydoc.render_doc(Client, renderer=pydoc.TextDoc())
    doc = "".join(ch for i, ch in enumerate(doc) if ch != "\b" and (i + 1 >= len(doc) or doc[i + 1] != "\b"))
    for name in ("login", "verify_locally", "issue_service_token", "audit_query", "Revoke the current token"):
        assert name in doc
    assert "password" in (Client.login.__doc__ or "") or "Log a human" in (Client.login.__doc__ or "")
    assert AsyncClient.me.__doc__
