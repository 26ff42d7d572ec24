// The OpenID Foundation's Basic OP and Config OP test modules, and those of RP-Initiated and
// Back-Channel Logout, played against a running Connect by openid-client (a certified relying
// party). The browser's part (following redirects, the log-in form) is done with HTTP requests
// and a cookie jar. Prints one JSON line per module: {module, result, detail}, where result is
// "passed", "failed" or "not_applicable". Run by tests/conformance/test_openid_conformance.py.
//
// Environment: CONNECT_ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI,
// POST_LOGOUT_REDIRECT_URI, RP_URL (where the client's back-channel logout tokens can be read),
// EMAIL and PASSWORD of an activated account.

import * as client from "openid-client";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";

const env = process.env;
const ISSUER = new URL(env.CONNECT_ISSUER);
const REDIRECT_URI = env.REDIRECT_URI;

class Failure extends Error {}

function check(condition, message) {
  if (!condition) throw new Failure(message);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// What a browser accepts when it follows a link: a page first.
const PAGE_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
// Connect's log-in form, wherever it is shown (/login, or /authorize itself).
const LOG_IN_FORM = /<form method="post" action="\/login">/;

// A browser: cookies kept per name, redirects followed within Connect, the log-in form filled.
class Browser {
  cookies = new Map();
  logInForms = 0; // how many times Connect showed its log-in form

  async request(url, init = {}) {
    const headers = new Headers(init.headers);
    headers.set("accept", PAGE_ACCEPT);
    if (this.cookies.size) {
      headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair.indexOf("=");
      this.cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1));
    }
    return response;
  }

  // Follows redirects until one leaves Connect (returned as a URL) or a page is shown (the
  // Response). The log-in form is filled in when `credentials` are given.
  async visit(url, init = {}, credentials = null) {
    let response = await this.request(url, init);
    for (let hops = 0; hops < 10; hops++) {
      if (response.status >= 300 && response.status < 400) {
        const next = new URL(response.headers.get("location"), url);
        if (next.origin !== ISSUER.origin) return next;
        url = next;
        response = await this.request(url);
        continue;
      }
      const html = response.status === 200 ? await response.clone().text() : "";
      if (!LOG_IN_FORM.test(html)) return response;
      this.logInForms += 1;
      if (!credentials) return response;
      const form = new URLSearchParams({
        csrf_token: html.match(/name="csrf_token" value="([^"]+)"/)[1],
        next: html.match(/name="next" value="([^"]*)"/)[1].replaceAll("&amp;", "&"),
        email: credentials.email,
        password: credentials.password,
      });
      credentials = null; // once: a second log-in page means the first was refused
      url = new URL("/login", ISSUER);
      response = await this.request(url, { method: "POST", body: form });
    }
    throw new Failure(`too many redirects at ${url}`);
  }
}

const ACCOUNT = { email: env.EMAIL, password: env.PASSWORD };

async function configuration(auth = client.ClientSecretBasic(env.CLIENT_SECRET)) {
  return client.discovery(ISSUER, env.CLIENT_ID, undefined, auth, {
    execute: [client.allowInsecureRequests],
  });
}

const basic = await configuration();

// An authorization request from `browser`, logging in when asked; returns what the client
// needs to finish, and where the browser ended.
async function authorize(browser, parameters = {}, { method = "GET", login = true } = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = parameters.nonce === null ? undefined : client.randomNonce();
  const params = {
    redirect_uri: REDIRECT_URI,
    scope: "openid email profile",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    ...(nonce ? { nonce } : {}),
    ...parameters,
  };
  const left = Object.keys(params).filter((name) => params[name] === null);
  for (const name of left) delete params[name];
  let url = client.buildAuthorizationUrl(basic, params);
  for (const name of left) url.searchParams.delete(name); // some are added by default
  const init = {};
  if (method === "POST") {
    init.method = "POST";
    init.body = url.searchParams;
    url = new URL(url.origin + url.pathname);
  }
  const landed = await browser.visit(url, init, login ? ACCOUNT : null);
  return { landed, verifier, state, nonce };
}

function callback(landed) {
  check(landed instanceof URL, `no redirect back to the client (page ${landed?.status})`);
  check(landed.href.startsWith(REDIRECT_URI), `redirected elsewhere: ${landed}`);
  check(landed.searchParams.get("iss") === ISSUER.href.replace(/\/$/, ""), "no iss (RFC 9207)");
  return landed;
}

// The code flow to the end, with the ID token validated by openid-client.
async function codeFlow(browser, parameters = {}, options = {}, config = basic) {
  const { landed, verifier, state, nonce } = await authorize(browser, parameters, options);
  const tokens = await client.authorizationCodeGrant(config, callback(landed), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
    ...(parameters.max_age !== undefined ? { maxAge: Number(parameters.max_age) } : {}),
  });
  return { tokens, claims: tokens.claims() };
}

function expectError(landed, error) {
  const url = callback(landed);
  check(url.searchParams.get("error") === error, `expected ${error}, got ${url.search}`);
  check(!url.searchParams.has("code"), "a code came with the error");
}

async function userinfo(tokens, claims) {
  return client.fetchUserInfo(basic, tokens.access_token, claims.sub);
}

// The parameters of an RP-initiated log-out of the session `tokens` came from.
function loggingOut(tokens) {
  return { id_token_hint: tokens.id_token, post_logout_redirect_uri: env.POST_LOGOUT_REDIRECT_URI };
}

function logoutUrl(parameters) {
  return client.buildEndSessionUrl(basic, parameters);
}

async function loggedIn(browser) {
  const { landed } = await authorize(browser, { prompt: "none" }, { login: false });
  return callback(landed).searchParams.has("code");
}

const modules = {
  async "oidcc-server"() {
    const { tokens, claims } = await codeFlow(new Browser());
    check(claims.sub && tokens.access_token, "no subject or access token");
  },

  async "oidcc-response-type-missing"() {
    const { landed } = await authorize(new Browser(), { response_type: null });
    expectError(landed, "invalid_request");
  },

  async "oidcc-userinfo-get"() {
    const { tokens, claims } = await codeFlow(new Browser());
    check((await userinfo(tokens, claims)).sub === claims.sub, "another subject");
  },

  async "oidcc-userinfo-post-header"() {
    const { tokens, claims } = await codeFlow(new Browser());
    const url = new URL(basic.serverMetadata().userinfo_endpoint);
    const response = await client.fetchProtectedResource(basic, tokens.access_token, url, "POST");
    check(response.status === 200 && (await response.json()).sub === claims.sub, "refused");
  },

  async "oidcc-userinfo-post-body"() {
    const { tokens, claims } = await codeFlow(new Browser());
    const response = await fetch(basic.serverMetadata().userinfo_endpoint, {
      method: "POST",
      body: new URLSearchParams({ access_token: tokens.access_token }),
    });
    check(response.status === 200 && (await response.json()).sub === claims.sub, "refused");
  },

  async "oidcc-ensure-request-without-nonce-succeeds-for-code-flow"() {
    const { claims } = await codeFlow(new Browser(), { nonce: null });
    check(!("nonce" in claims), "a nonce nobody sent");
  },

  async "oidcc-scope-profile"() {
    const { tokens, claims } = await codeFlow(new Browser(), { scope: "openid profile" });
    const info = await userinfo(tokens, claims);
    check(info.given_name && info.family_name && info.name, "no profile claims");
  },

  async "oidcc-scope-email"() {
    const { tokens, claims } = await codeFlow(new Browser(), { scope: "openid email" });
    const info = await userinfo(tokens, claims);
    check(info.email === ACCOUNT.email && info.email_verified === true, "no email claims");
  },

  async "oidcc-scope-all"() {
    // address and phone are not among scopes_supported: asked for, they are ignored.
    const scope = "openid profile email address phone";
    const { tokens, claims } = await codeFlow(new Browser(), { scope });
    const info = await userinfo(tokens, claims);
    check(info.email && info.name, "missing claims of a supported scope");
  },

  async "oidcc-ensure-other-scope-order-succeeds"() {
    const { tokens, claims } = await codeFlow(new Browser(), { scope: "email openid" });
    check((await userinfo(tokens, claims)).email, "no email claim");
  },

  async "oidcc-display-page"() {
    await codeFlow(new Browser(), { display: "page" });
  },

  async "oidcc-display-popup"() {
    await codeFlow(new Browser(), { display: "popup" });
  },

  async "oidcc-prompt-login"() {
    const browser = new Browser();
    const first = await codeFlow(browser);
    browser.logInForms = 0;
    const second = await codeFlow(browser, { prompt: "login" });
    check(browser.logInForms > 0, "logged in without being asked to");
    check(second.claims.auth_time >= first.claims.auth_time, "auth_time went back");
    check(second.claims.sub === first.claims.sub, "another subject");
  },

  async "oidcc-prompt-none-not-logged-in"() {
    const { landed } = await authorize(new Browser(), { prompt: "none" }, { login: false });
    expectError(landed, "login_required");
  },

  async "oidcc-prompt-none-logged-in"() {
    const browser = new Browser();
    const first = await codeFlow(browser);
    const second = await codeFlow(browser, { prompt: "none" }, { login: false });
    check(second.claims.sub === first.claims.sub, "another subject");
  },

  async "oidcc-max-age-1"() {
    const browser = new Browser();
    const first = await codeFlow(browser);
    await sleep(2000); // the log-in is older than max_age=1
    browser.logInForms = 0;
    const second = await codeFlow(browser, { max_age: "1" });
    check(browser.logInForms > 0, "an old log-in was taken for a fresh one");
    check(second.claims.auth_time > first.claims.auth_time, "auth_time is the old log-in's");
  },

  async "oidcc-max-age-10000"() {
    const browser = new Browser();
    const first = await codeFlow(browser);
    browser.logInForms = 0;
    const second = await codeFlow(browser, { max_age: "10000" });
    check(browser.logInForms === 0, "asked to log in again");
    check(second.claims.auth_time === first.claims.auth_time, "auth_time changed");
  },

  async "oidcc-ensure-request-with-unknown-parameter-succeeds"() {
    await codeFlow(new Browser(), { extra: "foobar" });
  },

  async "oidcc-id-token-hint"() {
    const browser = new Browser();
    const first = await codeFlow(browser);
    const hint = first.tokens.id_token;
    const again = { prompt: "none", id_token_hint: hint };
    const second = await codeFlow(browser, again, { login: false });
    check(second.claims.sub === first.claims.sub, "another subject");
  },

  async "oidcc-login-hint"() {
    const browser = new Browser();
    const { landed } = await authorize(browser, { login_hint: ACCOUNT.email }, { login: false });
    const html = await landed.text();
    check(html.includes(`value="${ACCOUNT.email}"`), "the log-in form does not hold the hint");
    await codeFlow(browser, { login_hint: ACCOUNT.email });
  },

  async "oidcc-ui-locales"() {
    const browser = new Browser();
    const { landed } = await authorize(browser, { ui_locales: "nl" }, { login: false });
    check((await landed.text()).includes('<html lang="nl"'), "the log-in page is not in Dutch");
    await codeFlow(browser, { ui_locales: "nl" });
  },

  async "oidcc-claims-locales"() {
    await codeFlow(new Browser(), { claims_locales: "nl" });
  },

  async "oidcc-ensure-request-with-acr-values-succeeds"() {
    await codeFlow(new Browser(), { acr_values: "1 2" });
  },

  async "oidcc-codereuse"() {
    await codeReuse(0);
  },

  async "oidcc-codereuse-30seconds"() {
    await codeReuse(30000);
  },

  async "oidcc-ensure-registered-redirect-uri"() {
    const browser = new Browser();
    await codeFlow(browser);
    const { landed } = await authorize(browser, { redirect_uri: "https://elsewhere.example/cb" });
    check(!(landed instanceof URL), `redirected to an unregistered redirect_uri: ${landed}`);
    check(landed.status === 400, `answered ${landed.status}`);
  },

  async "oidcc-server-client-secret-post"() {
    const post = await configuration(client.ClientSecretPost(env.CLIENT_SECRET));
    const { tokens } = await codeFlow(new Browser(), {}, {}, post);
    check(tokens.access_token, "no access token");
  },

  async "oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported"() {
    const request = unsignedRequestObject({ scope: "openid", redirect_uri: REDIRECT_URI });
    const { landed } = await authorize(new Browser(), { request });
    expectError(landed, "request_not_supported");
  },

  async "oidcc-claims-essential"() {
    // The claims parameter is not supported (claims_parameter_supported: false): ignored.
    const claims = JSON.stringify({ userinfo: { name: { essential: true } } });
    const { tokens, claims: idClaims } = await codeFlow(new Browser(), { claims });
    check((await userinfo(tokens, idClaims)).name, "no name with the profile scope");
  },

  async "oidcc-refresh-token"() {
    const browser = new Browser();
    const scope = "openid email offline_access";
    const { tokens, claims } = await codeFlow(browser, { scope, prompt: "consent" });
    check(tokens.refresh_token, "no refresh token for offline_access");
    const refreshed = await client.refreshTokenGrant(basic, tokens.refresh_token);
    const rotated = refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token;
    check(rotated, "the refresh token was not rotated");
    check((await userinfo(refreshed, claims)).sub === claims.sub, "another subject");
    const reused = await rejected(client.refreshTokenGrant(basic, tokens.refresh_token));
    check(reused?.error === "invalid_grant", "a spent refresh token was accepted");
    const family = await rejected(client.refreshTokenGrant(basic, refreshed.refresh_token));
    check(family?.error === "invalid_grant", "the grant survived the reuse of its token");
  },

  async "oidcc-ensure-post-request-succeeds"() {
    await codeFlow(new Browser(), {}, { method: "POST" });
  },

  // Config OP
  async "oidcc-discovery-endpoint-verification"() {
    const metadata = basic.serverMetadata();
    check(metadata.issuer === ISSUER.href.replace(/\/$/, ""), "issuer is not the address asked");
    for (const field of [
      "authorization_endpoint",
      "token_endpoint",
      "userinfo_endpoint",
      "jwks_uri",
      "response_types_supported",
      "subject_types_supported",
      "id_token_signing_alg_values_supported",
    ]) {
      check(metadata[field], `discovery lacks ${field}`);
    }
    check(metadata.response_types_supported.includes("code"), "no code response type");
    check(metadata.scopes_supported.includes("openid"), "openid not among the scopes");
    check(metadata.claims_supported.includes("sub"), "sub not among the claims");
    check(metadata.id_token_signing_alg_values_supported.includes("RS256"), "no RS256");
    check(metadata.request_uri_parameter_supported === false, "request_uri left to the default");
    check(metadata.authorization_response_iss_parameter_supported === true, "no RFC 9207 flag");
  },

  async "oidcc-config-jwks"() {
    const response = await fetch(basic.serverMetadata().jwks_uri);
    check(response.status === 200, `JWKS answered ${response.status}`);
    const { keys } = await response.json();
    check(keys.length > 0, "no keys");
    for (const key of keys) {
      check(key.kid && key.use === "sig" && key.kty === "RSA", `key ${key.kid} is not RS256/sig`);
      check(!("d" in key || "p" in key), `key ${key.kid} publishes private parts`);
    }
    const { tokens } = await codeFlow(new Browser());
    const { kid } = JSON.parse(Buffer.from(tokens.id_token.split(".")[0], "base64url"));
    check(keys.some((key) => key.kid === kid), "the ID token's key is not published");
  },

  // RP-Initiated Logout
  async "oidcc-rp-initiated-logout"() {
    const browser = new Browser();
    const { tokens } = await codeFlow(browser);
    const state = client.randomState();
    const back = await browser.visit(logoutUrl({ ...loggingOut(tokens), state }));
    const sentBack = back instanceof URL && back.href.startsWith(env.POST_LOGOUT_REDIRECT_URI);
    check(sentBack, "not sent back to the post_logout_redirect_uri");
    check(back.searchParams.get("state") === state, "state not returned");
    check(!(await loggedIn(browser)), "still logged in");
  },

  async "oidcc-rp-initiated-logout-no-state"() {
    const browser = new Browser();
    const { tokens } = await codeFlow(browser);
    const back = await browser.visit(logoutUrl(loggingOut(tokens)));
    check(back instanceof URL && !back.searchParams.has("state"), "a state nobody sent");
  },

  async "oidcc-rp-initiated-logout-no-params"() {
    const browser = new Browser();
    await codeFlow(browser);
    const page = await browser.visit(new URL(basic.serverMetadata().end_session_endpoint));
    check(!(page instanceof URL) && page.status === 200, "no confirmation page");
    check(await loggedIn(browser), "logged out without the owner's confirmation");
  },

  async "oidcc-rp-initiated-logout-bad-post-logout-redirect-uri"() {
    const browser = new Browser();
    const { tokens } = await codeFlow(browser);
    const elsewhere = { post_logout_redirect_uri: "https://elsewhere.example/" };
    const page = await browser.visit(logoutUrl({ ...loggingOut(tokens), ...elsewhere }));
    check(!(page instanceof URL), `sent to an unregistered address: ${page}`);
    check(page.status === 400, `answered ${page.status}`);
  },

  async "oidcc-rp-initiated-logout-modified-id-token-hint"() {
    const browser = new Browser();
    const { tokens } = await codeFlow(browser);
    const [header, payload] = tokens.id_token.split(".");
    const forged = `${header}.${payload}.${Buffer.from("forged").toString("base64url")}`;
    const page = await browser.visit(logoutUrl({ ...loggingOut(tokens), id_token_hint: forged }));
    check(!(page instanceof URL), "a forged hint was taken");
    check(await loggedIn(browser), "a forged hint logged the browser out");
  },

  // Back-Channel Logout
  async "oidcc-backchannel-rp-initiated-logout"() {
    const browser = new Browser();
    const { tokens, claims } = await codeFlow(browser);
    await browser.visit(logoutUrl(loggingOut(tokens)));
    const token = await logoutTokenFor(claims.sid);
    const jwks = createRemoteJWKSet(new URL(basic.serverMetadata().jwks_uri));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: basic.serverMetadata().issuer,
      audience: env.CLIENT_ID,
      typ: "logout+jwt",
    });
    check(protectedHeader.alg === "RS256", "not RS256");
    check(payload.events?.["http://schemas.openid.net/event/backchannel-logout"], "no event");
    check(payload.sub === claims.sub && payload.sid === claims.sid, "another session");
    check(payload.jti && payload.iat && !("nonce" in payload), "jti, iat or a nonce");
  },
};

const notApplicable = {
  "oidcc-ensure-request-object-with-redirect-uri":
    "Connect does not support request objects (discovery: request_parameter_supported false); " +
    "a request object is answered request_not_supported, checked here",
};

async function codeReuse(waitMs) {
  const { landed, verifier, state, nonce } = await authorize(new Browser());
  const url = callback(landed);
  const checks = { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce };
  const tokens = await client.authorizationCodeGrant(basic, url, checks);
  await sleep(waitMs);
  const again = await rejected(client.authorizationCodeGrant(basic, url, checks));
  check(again?.error === "invalid_grant", "a used code was exchanged again");
  const info = await rejected(userinfo(tokens, tokens.claims()));
  check(info !== undefined, "the tokens of a replayed code still work");
}

// The error a promise is rejected with (its OAuth error when it has one), or undefined.
async function rejected(promise) {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return { error: error.error ?? error.cause?.error ?? error.code ?? String(error) };
  }
}

function unsignedRequestObject(claims) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const body = {
    iss: env.CLIENT_ID,
    aud: basic.serverMetadata().issuer,
    client_id: env.CLIENT_ID,
    response_type: "code",
    ...claims,
  };
  return `${part({ alg: "none" })}.${part(body)}.`;
}

async function logoutTokenFor(sid) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const received = await (await fetch(`${env.RP_URL}/logout-tokens`)).json();
    const token = received.find((candidate) => decodeJwt(candidate).sid === sid);
    if (token) return token;
    await sleep(200);
  }
  throw new Failure("no logout token arrived at the back-channel logout URI");
}

function report(module, result, detail = "") {
  console.log(JSON.stringify({ module, result, detail }));
}

for (const [module, reason] of Object.entries(notApplicable)) {
  const { landed } = await authorize(new Browser(), {
    request: unsignedRequestObject({ redirect_uri: REDIRECT_URI }),
  });
  try {
    expectError(landed, "request_not_supported");
    report(module, "not_applicable", reason);
  } catch (error) {
    report(module, "failed", `${reason}, but: ${error.message}`);
  }
}

// The 30-second module waits alongside the others.
const entries = Object.entries(modules);
await Promise.all([
  (async () => {
    for (const [module, run] of entries.filter(([name]) => !name.endsWith("30seconds"))) {
      await run().then(
        () => report(module, "passed"),
        (error) => report(module, "failed", error.stack ?? String(error)),
      );
    }
  })(),
  ...entries
    .filter(([name]) => name.endsWith("30seconds"))
    .map(([module, run]) =>
      run().then(
        () => report(module, "passed"),
        (error) => report(module, "failed", error.stack ?? String(error)),
      ),
    ),
]);
