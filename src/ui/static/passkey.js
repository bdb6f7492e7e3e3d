// MCIAS console: passkeys and security keys (WebAuthn). Loaded as a file (CSP allows
// only 'self' scripts); no inline handlers, no eval. The server does every check; this
// file only carries options to navigator.credentials and the answer back.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) return; // buttons stay hidden

  function b64uToBuf(s) {
    var b = s.replace(/-/g, "+").replace(/_/g, "/");
    while (b.length % 4) b += "=";
    var bin = atob(b), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function bufToB64u(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; } catch (e) { return ""; }
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf(), accept: "application/json" },
      body: JSON.stringify(body || {}),
    }).then(function (r) {
      if (!r.ok) {
        throw new Error(r.status === 429 ? "Too many attempts; wait a moment." : r.status === 401 ? "Sign-in failed."
          : r.status === 403 ? "Your current password is missing or wrong." : "The server refused (" + r.status + ").");
      }
      return r.json();
    });
  }
  function say(btn, text) {
    var box = document.getElementById(btn.getAttribute("data-status") || "passkey-status");
    if (box) { box.textContent = text; box.hidden = false; }
  }
  function creds(list) {
    return (list || []).map(function (c) { return { type: c.type || "public-key", id: b64uToBuf(c.id), transports: c.transports }; });
  }

  function getAssertion(options) {
    var pk = {
      challenge: b64uToBuf(options.challenge), timeout: options.timeout, rpId: options.rpId,
      allowCredentials: creds(options.allowCredentials), userVerification: options.userVerification,
    };
    return navigator.credentials.get({ publicKey: pk }).then(function (c) {
      if (!c) throw new Error("No passkey was chosen.");
      return {
        id: c.id, rawId: bufToB64u(c.rawId), type: c.type,
        response: {
          clientDataJSON: bufToB64u(c.response.clientDataJSON),
          authenticatorData: bufToB64u(c.response.authenticatorData),
          signature: bufToB64u(c.response.signature),
          userHandle: c.response.userHandle ? bufToB64u(c.response.userHandle) : undefined,
        },
        authenticatorAttachment: c.authenticatorAttachment || undefined,
        clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      };
    });
  }

  function login(btn, withPassword) {
    var body = {}, verify = {};
    var rd = document.querySelector("form[action='/login'] input[name=rd]");
    if (rd && rd.value) verify.rd = rd.value; // the server honours it only for a safe address
    var oidc = document.querySelector("form[action='/login'] input[name=oidc]");
    if (oidc && oidc.value) verify.oidc = oidc.value; // an OpenID Connect sign-in to return to
    if (withPassword) {
      var u = document.getElementById("login-username"), p = document.getElementById("login-password");
      if (!u || !p || !u.value || !p.value) { say(btn, "Enter your username and password first, then use your security key."); return; }
      body.username = u.value; verify.password = p.value;
    }
    say(btn, "Waiting for your passkey…");
    post("/login/passkey/options", body).then(getAssertion).then(function (response) {
      verify.response = response;
      return post("/login/passkey/verify", verify);
    }).then(function (r) {
      window.location.assign(r.redirect || "/");
    }).catch(function (e) { say(btn, (e && e.message) || "Passkey sign-in failed."); });
  }

  function register(btn) {
    var nameInput = document.getElementById("passkey-name");
    var pw = document.getElementById("passkey-password");
    if (!pw || !pw.value) { say(btn, "Enter your current password first."); return; }
    say(btn, "Follow your browser's prompt…");
    post("/profile/passkeys/options", { current_password: pw.value }).then(function (o) {
      var pk = {
        rp: o.rp, challenge: b64uToBuf(o.challenge), pubKeyCredParams: o.pubKeyCredParams, timeout: o.timeout,
        attestation: o.attestation, authenticatorSelection: o.authenticatorSelection, extensions: o.extensions,
        user: { id: b64uToBuf(o.user.id), name: o.user.name, displayName: o.user.displayName },
        excludeCredentials: creds(o.excludeCredentials),
      };
      return navigator.credentials.create({ publicKey: pk });
    }).then(function (c) {
      if (!c) throw new Error("No passkey was created.");
      var response = {
        id: c.id, rawId: bufToB64u(c.rawId), type: c.type,
        response: {
          clientDataJSON: bufToB64u(c.response.clientDataJSON),
          attestationObject: bufToB64u(c.response.attestationObject),
          transports: c.response.getTransports ? c.response.getTransports() : undefined,
        },
        authenticatorAttachment: c.authenticatorAttachment || undefined,
        clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      };
      var body = { response: response };
      if (nameInput && nameInput.value.trim()) body.name = nameInput.value.trim();
      return post("/profile/passkeys/verify", body);
    }).then(function () {
      window.location.assign("/profile?notice=passkey_added#h-passkeys");
    }).catch(function (e) { say(btn, (e && e.message) || "Adding the passkey failed."); });
  }

  document.addEventListener("click", function (ev) {
    var btn = ev.target instanceof Element ? ev.target.closest("[data-passkey]") : null;
    if (!btn) return;
    ev.preventDefault();
    var what = btn.getAttribute("data-passkey");
    if (what === "login") login(btn, false);
    else if (what === "security-key") login(btn, true);
    else if (what === "register") register(btn);
  });
  function reveal() { document.querySelectorAll("[data-passkey][hidden]").forEach(function (b) { b.hidden = false; }); }
  document.addEventListener("DOMContentLoaded", reveal);
  document.addEventListener("htmx:afterSettle", reveal);
  if (document.readyState !== "loading") reveal();
})();
