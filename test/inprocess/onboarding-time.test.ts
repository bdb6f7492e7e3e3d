/**
 * Time rules of SPEC §15 on the in-process tier (injected clock, no sleeping): an
 * invite link lives exactly `accounts.invite_ttl` and a failed accept after that writes
 * nothing; a WebAuthn challenge is used at most once and lives 5 minutes.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { OPERATOR_CTX } from "../../src/services";
import { startInProcess, type InProcess } from "../helpers/inProcess";

const open: InProcess[] = [];
afterEach(() => { for (const h of open.splice(0)) h.close(); });
const start = async () => {
  const h = await startInProcess({ sections: { accounts: { invite_ttl: "1h" } } });
  open.push(h);
  return h;
};

async function auditEvents(h: InProcess, type: string) {
  const r = await h.call("GET", `/v1/audit?type=${type}&limit=500`, { token: await h.adminToken() });
  return r.body.events as { details: Record<string, unknown> }[];
}

describe("invite expiry", () => {
  test("alive until expires_at, the same 404 from then on, and nothing written", async () => {
    const h = await start();
    const a = await h.app.services.accounts.create(OPERATOR_CTX, { username: "Tick", account_type: "human" });
    expect(a.username).toBe("tick");
    const link = h.app.services.invites.create(OPERATOR_CTX, a.id);
    const token = link.url.slice(link.url.lastIndexOf("/") + 1);
    await h.adminToken(); // its login row is written now, not in the window below
    h.advance(3600_000 - 1);
    expect(h.app.services.invites.info(token).username).toBe("tick");
    h.advance(1);
    const before = h.app.store.audit.count();
    const r = await h.call("POST", `/v1/invites/${token}/accept`, { json: { password: "tick-chosen-password" } });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: "invite link is unknown, used or expired", code: "not_found" });
    expect(h.app.store.audit.count()).toBe(before);
    expect((await h.call("GET", `/v1/accounts/${a.id}`, { token: await h.adminToken() })).body.updated_at).toBe(a.updated_at);
  });
});

describe("WebAuthn challenges", () => {
  /** A response carrying `challenge` in its clientDataJSON, for a credential nobody registered. */
  const fake = (challenge: string) => ({
    response: {
      id: "AAAA", rawId: "AAAA", type: "public-key", clientExtensionResults: {},
      response: {
        clientDataJSON: Buffer.from(JSON.stringify({ type: "webauthn.get", challenge, origin: "https://mcias.test" })).toString("base64url"),
        authenticatorData: "AAAA", signature: "AAAA",
      },
    },
  });
  const lastFailReason = async (h: InProcess) => (await auditEvents(h, "login_fail"))[0]!.details.reason;

  test("used once; dead after 5 minutes", async () => {
    const h = await start();
    const o1 = await h.call("POST", "/v1/auth/webauthn/login/options", { json: {} });
    expect(o1.status).toBe(200);
    expect(o1.body.rpId).toBe("mcias.test");
    expect((await h.call("POST", "/v1/auth/webauthn/login/verify", { json: fake(o1.body.challenge) })).status).toBe(401);
    expect(await lastFailReason(h)).toBe("unknown_credential"); // the challenge was live
    expect((await h.call("POST", "/v1/auth/webauthn/login/verify", { json: fake(o1.body.challenge) })).status).toBe(401);
    expect(await lastFailReason(h)).toBe("unknown_challenge"); // used once already

    const o2 = await h.call("POST", "/v1/auth/webauthn/login/options");
    expect(o2.status).toBe(200);
    h.advance(5 * 60_000 + 1);
    expect((await h.call("POST", "/v1/auth/webauthn/login/verify", { json: fake(o2.body.challenge) })).status).toBe(401);
    expect(await lastFailReason(h)).toBe("unknown_challenge");
  });
});
