// Passkeys (WebAuthn) on Connect's pages. Each [data-passkey] block names two calls: its
// options (a challenge bound to this browser) and where the browser's answer goes. The block
// stays hidden where the browser cannot use passkeys; the page then works without them.
(() => {
  "use strict";
  const supported = window.PublicKeyCredential &&
    typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function" &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";
  if (!supported) return;

  class Refused extends Error {}

  async function post(block, url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": block.dataset.csrf},
      body: body || "{}",
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Refused(data.error || block.dataset.failed);
    return data;
  }

  function say(block, message) {
    block.querySelector("[data-passkey-status]").textContent = message;
  }

  // The fields of the form the block names (registration), sent with the options call.
  function fields(block) {
    const form = block.dataset.form && document.getElementById(block.dataset.form);
    return form ? JSON.stringify(Object.fromEntries(new FormData(form))) : undefined;
  }

  async function create(block) {
    const options = await post(block, block.dataset.options, fields(block));
    const credential = await navigator.credentials.create({
      publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
    });
    return post(block, block.dataset.verify, JSON.stringify(credential.toJSON()));
  }

  let pending = null;
  async function get(block, mediation) {
    if (pending) pending.abort();
    pending = new AbortController();
    const options = await post(block, block.dataset.options);
    const credential = await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
      mediation,
      signal: pending.signal,
    });
    return post(block, block.dataset.verify, JSON.stringify(credential.toJSON()));
  }

  function start(block, ceremony) {
    const button = block.querySelector("button");
    button.disabled = true;
    say(block, block.dataset.working);
    ceremony()
      .then((result) => window.location.assign(result.redirect))
      .catch((error) => {
        if (error.name === "AbortError") return;
        say(block, error instanceof Refused ? error.message
          : error.name === "InvalidStateError" ? block.dataset.exists : block.dataset.failed);
        button.disabled = false;
      });
  }

  for (const block of document.querySelectorAll("[data-passkey]")) {
    block.hidden = false;
    const ceremony = block.dataset.passkey === "create" ? () => create(block)
      : () => get(block, "optional");
    block.querySelector("button").addEventListener("click", () => start(block, ceremony));
    if (block.dataset.passkey === "log-in" && PublicKeyCredential.isConditionalMediationAvailable) {
      // The address field offers the browser's passkeys as it is focused (autofill).
      PublicKeyCredential.isConditionalMediationAvailable().then((available) => {
        if (!available) return;
        get(block, "conditional")
          .then((result) => window.location.assign(result.redirect))
          .catch((error) => {
            if (error.name === "AbortError" || error.name === "NotAllowedError") return;
            say(block, error instanceof Refused ? error.message : block.dataset.failed);
          });
      });
    }
  }
})();
