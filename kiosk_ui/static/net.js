/* Requests to this kiosk's own service: same origin, the kiosk cookie, never cached, always bounded. */
"use strict";
(function () {
  const TIMEOUT_MS = 15000;

  async function request(method, url, body, headers) {
    const ctrl = new AbortController();
    const timer = setTimeout(function () { ctrl.abort(); }, TIMEOUT_MS);
    try {
      return await fetch(url, {
        method: method, body: body, headers: headers || {}, credentials: "same-origin",
        cache: "no-store", signal: ctrl.signal,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  // {status, ok, data}; data is null when the body is not JSON.
  async function requestJson(method, url, payload) {
    const resp = await request(method, url, payload === undefined ? undefined : JSON.stringify(payload),
      payload === undefined ? {} : { "Content-Type": "application/json" });
    let data = null;
    try { data = await resp.json(); } catch { /* not JSON: data stays null */ }
    return { status: resp.status, ok: resp.ok, data: data };
  }

  window.Net = { request: request, requestJson: requestJson };
})();
