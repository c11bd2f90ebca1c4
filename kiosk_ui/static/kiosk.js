/* The kiosk screen: idle → access key (CAN keypad or MRZ) → place card / progress (SSE)
   → camera (face) → result → automatic reset that clears everything.
   Plain JS, no build step. Talks only to this kiosk's own service (/v1 and /kiosk/api),
   authenticated by the HttpOnly kiosk cookie the page was served with. */
"use strict";
(function () {
  const SETTINGS = JSON.parse(document.getElementById("kiosk-settings").textContent);
  const t = window.I18n.t;
  const $ = function (id) { return document.getElementById(id); };
  const POLL_MS = 1000;
  const SCREENS = ["idle", "demo", "key", "progress", "camera", "result"];
  const WALK_UP_PARTY = "kiosk-screen";
  const MRZ_FIELDS = ["document_number", "birth_date", "expiry_date"];
  const MRZ_SIZE = { document_number: 9, birth_date: 6, expiry_date: 6 };
  const RETRYABLE = ["wrong_can", "wrong_mrz", "card_removed", "no_card", "timeout", "face_undetermined",
    "liveness_failed", "face_not_seen", "qr_id_mismatch", "read_failed"];
  // Every event name the service's stream may carry (named steps plus state changes).
  const EVENT_NAMES = Array.from(new Set(SETTINGS.steps.flatMap(function (s) { return s.events; })
    .concat(["state", "end", "read_done", "waiting_for_access_key"])));

  let S = fresh();

  function fresh() {
    return {
      screen: "idle", sessionId: null, links: null, faceRequired: false,
      keyMode: "can", can: "", mrz: { document_number: "", birth_date: "", expiry_date: "" },
      mrzField: "document_number", usedMrz: false, submitting: false,
      scan: { line: "", before: null, lines: {} },
      source: null, capture: null, objectUrls: [], starting: false, stepIndex: -1, finalShown: false, view: null,
      timers: new Set(), lastActivity: Date.now(), countdown: 0,
      prompts: [], cameraOpenedAt: 0, decidedAt: 0,
      qr: null, usedQr: false, qrScanner: null, qrRaw: "", qrWarning: false, demo: null, startedAt: 0,
    };
  }

  // --- timers and requests: every wait is bounded, every timer is tracked so reset can clear it ---
  function later(fn, ms) {
    const id = setTimeout(function () { S.timers.delete(id); fn(); }, ms);
    S.timers.add(id);
    return id;
  }

  const request = window.Net.request;
  const requestJson = window.Net.requestJson;

  // --- screens -------------------------------------------------------------------------------
  function show(screen) {
    S.screen = screen;
    if (screen !== "key") { S.scan.line = ""; S.qrRaw = ""; }   // the rest of a scan is not kept
    SCREENS.forEach(function (name) { $("screen-" + name).hidden = name !== screen; });
    document.body.dataset.screen = screen;
    if (screen === "key") startQr(); else stopQr();
    if (screen !== "demo") stopDemo();
    settled(true);
  }

  // "false" while a screen is shown but still being filled in (the result's photos and countdown):
  // what a test or a screen reader measures before then is not what the person will see.
  function settled(done) { document.body.dataset.settled = done ? "true" : "false"; }

  function setError(id, key) {
    const el = $(id);
    if (key) { el.dataset.i18n = key; el.textContent = t(key); el.hidden = false; }
    else { delete el.dataset.i18n; el.textContent = ""; el.hidden = true; }
  }

  // --- idle: wait for a desk-started session, or a walk-up Start -------------------------------
  function pollCurrent() {
    if (S.screen !== "idle") return;
    requestJson("GET", "/v1/kiosk/current").then(function (r) {
      const session = r.ok && r.data ? r.data.session : null;
      if (S.screen === "idle" && !S.sessionId && !S.starting && session &&
          !["done", "failed"].includes(session.state)) {
        // A walk-up left by a page that was reloaded: nobody here started it. Free the reader.
        if (session.relying_party === WALK_UP_PARTY) return dropOrphan(session.id);
        adopt(session);
      }
    }).catch(function () { /* the service restarts: keep polling */ }).finally(function () {
      if (S.screen === "idle") later(pollCurrent, POLL_MS);
    });
  }

  function dropOrphan(id) {
    return request("POST", "/kiosk/api/sessions/" + encodeURIComponent(id) + "/cancel").catch(function () {})
      .then(function () { showNotice("idle-notice", "session_lost"); });
  }

  function showNotice(id, key) {
    const el = $(id);
    if (key) { el.dataset.i18n = key; el.textContent = t(key); el.hidden = false; }
    else { delete el.dataset.i18n; el.textContent = ""; el.hidden = true; }
  }

  function fillPrivacy(session) {
    document.querySelectorAll(".privacy").forEach(function (box) {
      const list = box.querySelector(".privacy-attributes");
      list.textContent = "";
      (session.attributes_read || []).forEach(function (name) {
        const li = document.createElement("li");
        li.dataset.i18n = "attr_" + name;
        li.textContent = t("attr_" + name);
        list.appendChild(li);
      });
      box.querySelector(".privacy-party").textContent = session.relying_party_name || session.relying_party || "";
      box.querySelector(".privacy-requester").hidden = !session.relying_party;
      // Started here with Start: the result goes to no organisation, only to this screen.
      box.querySelector(".privacy-walk-up").hidden = !!session.relying_party;
      box.querySelector(".privacy-face").hidden = !S.faceRequired;
    });
  }

  async function adopt(session) {
    const mine = S;
    S.sessionId = session.id;
    S.links = session.links;
    const view = await requestJson("GET", "/kiosk/api/sessions/" + encodeURIComponent(session.id))
      .catch(function () { return { ok: false }; });
    if (S !== mine) return;        // the screen was reset meanwhile
    if (view.ok) {
      S.faceRequired = !!view.data.face_required;
      session.relying_party_name = view.data.relying_party_name;
    }
    $("steps").querySelector('[data-step="face"]').hidden = !S.faceRequired;
    fillPrivacy(session);
    if (session.needs_access_key) showKeypad();
    else startProgress();
  }

  async function startWalkUp() {
    touch();
    setError("idle-error", null);
    showNotice("idle-notice", null);
    S.startedAt = Date.now();
    if (S.starting || S.sessionId) return;
    S.starting = true;
    const mine = S;
    const r = await requestJson("POST", "/kiosk/api/sessions", {}).catch(function () { return null; });
    if (S !== mine) {              // reset meanwhile: give the reader back at once
      if (r && r.ok) request("POST", "/kiosk/api/sessions/" + encodeURIComponent(r.data.id) + "/cancel").catch(function () {});
      return;
    }
    S.starting = false;
    if (!r || !r.ok) {
      setError("idle-error", r && [409, 429, 503].includes(r.status) ? "reason_busy" : "reason_service_problem");
      return;
    }
    // The key may be given before the reader's owner thread takes the session up: it waits for it.
    return adopt({ id: r.data.id, needs_access_key: true, relying_party: null,
                   attributes_read: r.data.attributes_read, links: null });
  }

  // --- access key: CAN on the keypad, or the MRZ's three fields --------------------------------
  function showKeypad() {
    S.keyMode = "can";
    renderKey();
    show("key");
  }

  function renderKey() {
    const can = S.keyMode === "can";
    $("can-entry").hidden = !can;
    $("mrz-entry").hidden = can;
    $("qr-entry").hidden = !can;          // the QR code gives the CAN, not the MRZ
    if (S.screen === "key") { if (can) startQr(); else stopQr(); }
    const toggle = $("toggle-mrz");
    toggle.dataset.i18n = can ? "use_mrz" : "use_can";
    toggle.textContent = t(toggle.dataset.i18n);
    document.querySelectorAll(".can-box").forEach(function (box, i) {
      // Digits are shown as dots once typed: people around the kiosk need not read the CAN.
      const filled = i < S.can.length;
      box.textContent = filled ? "●" : "";
      box.classList.toggle("filled", filled);
    });
    MRZ_FIELDS.forEach(function (field) {
      $("mrz-" + field).textContent = S.mrz[field];
      document.querySelector('.mrz-field[data-field="' + field + '"]').classList.toggle("active", field === S.mrzField);
    });
    $("key-ok").disabled = !keyComplete() || S.submitting;
  }

  function keyComplete() {
    if (S.keyMode === "can") return S.can.length === 6;
    return MRZ_FIELDS.every(function (f) { return S.mrz[f].length === MRZ_SIZE[f]; });
  }

  function typeDigit(d) {
    setError("key-error", null);
    if (S.keyMode === "can") {
      if (S.can.length < 6) S.can += d;
    } else {
      const f = S.mrzField;
      if (S.mrz[f].length < MRZ_SIZE[f]) S.mrz[f] += d;
      if (S.mrz[f].length === MRZ_SIZE[f]) {
        const next = MRZ_FIELDS.find(function (x) { return S.mrz[x].length < MRZ_SIZE[x]; });
        if (next) S.mrzField = next;
      }
    }
    renderKey();
  }

  function deleteDigit() {
    if (S.keyMode === "can") S.can = S.can.slice(0, -1);
    else S.mrz[S.mrzField] = S.mrz[S.mrzField].slice(0, -1);
    renderKey();
  }

  function clearKey() {
    S.can = "";
    MRZ_FIELDS.forEach(function (f) { S.mrz[f] = ""; });
    S.mrzField = "document_number";
    S.scan = { line: "", before: null, lines: {} };
  }

  // --- a document scanner that types the MRZ (letters, digits, "<", Enter after each line) ------
  // TD1 (ICAO 9303 part 5), 3 lines of 30: line 1 has the document number at 5-13 and its check
  // digit at 14; line 2 the birth date at 0-5 (check 6) and the expiry date at 8-13 (check 14);
  // line 3 is the name, not needed for the access key.
  const MRZ_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const MRZ_LINE_1 = /^[A-Z][A-Z<][A-Z<]{3}[A-Z0-9]{9}[0-9][A-Z0-9<]{15}$/;
  const MRZ_LINE_2 = /^[0-9]{7}[MFX<][0-9<]{6}[0-9<][A-Z<]{3}[A-Z0-9<]{11}[0-9]$/;

  function checkDigit(text) {
    let sum = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      sum += (c === "<" ? 0 : MRZ_CHARS.indexOf(c)) * [7, 3, 1][i % 3];
    }
    return String(sum % 10);
  }

  // The fields a scanned line gives, {} for a line the key does not need (the name), or null
  // when the line is garbled (a check digit does not match: the scan must be redone).
  function fieldsOfLine(line) {
    if (MRZ_LINE_1.test(line)) {
      const number = line.slice(5, 14);
      return checkDigit(number) === line[14] ? { document_number: number } : null;
    }
    if (MRZ_LINE_2.test(line)) {
      const birth = line.slice(0, 6), expiry = line.slice(8, 14);
      return checkDigit(birth) === line[6] && checkDigit(expiry) === line[14]
        ? { birth_date: birth, expiry_date: expiry } : null;
    }
    return /^[A-Z0-9<]{30}$/.test(line) ? {} : null;
  }

  function saveKey() {
    return { keyMode: S.keyMode, can: S.can, mrz: Object.assign({}, S.mrz), mrzField: S.mrzField };
  }

  function restoreKey(saved) {
    S.keyMode = saved.keyMode; S.can = saved.can; S.mrz = Object.assign({}, saved.mrz); S.mrzField = saved.mrzField;
  }

  // One key from the keyboard or a scanner. Digits go to the boxes as typed, as on the keypad;
  // the first letter or "<" shows the line is a scanned MRZ line: the digits it began with are
  // taken back out of the boxes and the whole line is read when its Enter comes.
  function keyboardChar(c) {
    const scan = S.scan;
    if (!scan.line) scan.before = saveKey();
    const wasScan = /[A-Z<]/.test(scan.line);
    scan.line = (scan.line + c).slice(0, 90);
    if (/[A-Z<]/.test(c)) {
      if (!wasScan) { restoreKey(scan.before); renderKey(); }
      return;
    }
    if (!wasScan) typeDigit(c);
  }

  function keyboardEnter() {
    const line = S.scan.line;
    S.scan.line = "";
    if (!/[A-Z<]/.test(line)) return submitKey();   // typed digits (or a 6-digit CAN scan): as the OK key
    // Some scanners send the lines without an Enter between them.
    const lines = line.length % 30 === 0 ? line.match(/.{30}/g) : [line];
    const found = {};
    for (const l of lines) {
      const fields = fieldsOfLine(l);
      if (!fields) { renderKey(); return setError("key-error", "scan_unreadable"); }
      Object.assign(found, fields);
    }
    if (!Object.keys(found).length) return;           // the name line: nothing to fill
    setError("key-error", null);
    S.keyMode = "mrz";                               // a scan on the CAN screen switches to the MRZ
    Object.assign(S.mrz, found);
    Object.keys(found).forEach(function (f) { S.scan.lines[f] = true; });
    const next = MRZ_FIELDS.find(function (f) { return S.mrz[f].length < MRZ_SIZE[f]; });
    if (next) S.mrzField = next;
    renderKey();
    // Both lines scanned, check digits right: nothing left for the person to do.
    if (MRZ_FIELDS.every(function (f) { return S.scan.lines[f]; })) submitKey();
  }

  // YYMMDD with a real month and day: a typo caught here costs no failed card read.
  function badDateField() {
    return ["birth_date", "expiry_date"].find(function (f) {
      const mm = Number(S.mrz[f].slice(2, 4)), dd = Number(S.mrz[f].slice(4, 6));
      return !(mm >= 1 && mm <= 12 && dd >= 1 && dd <= 31);
    });
  }

  async function submitKey() {
    if (!keyComplete() || S.submitting) { setError("key-error", "key_incomplete"); return; }
    if (S.keyMode === "mrz" && badDateField()) {
      S.mrzField = badDateField();
      renderKey();
      return setError("key-error", "key_invalid");
    }
    S.submitting = true;
    renderKey();
    const body = S.keyMode === "can" ? { can: S.can } : Object.assign({}, S.mrz);
    S.usedMrz = S.keyMode !== "can";
    stopQr();
    clearKey();      // the key leaves the screen's memory as soon as it is sent
    renderKey();
    const mine = S;
    const r = await requestJson("POST", "/v1/kiosk/verifications/" + encodeURIComponent(S.sessionId) + "/access-key",
      body).catch(function () { return null; });
    if (S !== mine) return;
    S.submitting = false;
    renderKey();
    if (r && r.ok) return startProgress();
    if (r && r.status === 400) return setError("key-error", "key_invalid");        // e.g. a 13th month
    if (r && (r.status === 404 || r.status === 409)) return finish();   // ended meanwhile: say why
    setError("key-error", "reason_service_problem");
  }

  // --- progress: named steps fed by the service's server-sent events ---------------------------
  function startProgress() {
    resetSteps();
    setTitle("progress-title", "place_card");
    show("progress");
    openStream();
    watchdog();
  }

  function setTitle(id, key) { const el = $(id); el.dataset.i18n = key; el.textContent = t(key); }

  function resetSteps() {
    S.stepIndex = -1;
    document.querySelectorAll(".step").forEach(function (li) { setStep(li, "waiting"); });
    $("progress-fill").style.width = "0";
    $("progress-bar").setAttribute("aria-valuenow", "0");
  }

  function setStep(li, status) {
    li.dataset.status = status;
    const label = li.querySelector(".step-status");
    label.dataset.i18n = "step_" + status.replace("failed", "waiting");
    label.textContent = status === "failed" ? "✗" : t(label.dataset.i18n);
  }

  function advanceTo(index, done) {
    if (index < S.stepIndex) return;
    S.stepIndex = index;
    const visible = Array.from(document.querySelectorAll(".step")).filter(function (li) { return !li.hidden; });
    document.querySelectorAll(".step").forEach(function (li, i) {
      if (i < index || (i === index && done)) setStep(li, "done");
      else if (i === index) setStep(li, "active");
    });
    const finished = Array.from(document.querySelectorAll(".step")).filter(function (li) {
      return !li.hidden && li.dataset.status === "done"; }).length;
    $("progress-fill").style.width = Math.round(100 * finished / Math.max(visible.length, 1)) + "%";
    $("progress-bar").setAttribute("aria-valuenow", String(finished));
  }

  function stepIndexOf(eventName) {
    return SETTINGS.steps.findIndex(function (s) { return s.events.includes(eventName); });
  }

  function openStream() {
    closeStream();
    const es = new EventSource(S.links ? S.links.events
      : "/v1/verifications/" + encodeURIComponent(S.sessionId) + "/events");
    S.source = es;
    EVENT_NAMES.forEach(function (name) {
      es.addEventListener(name, function (ev) { onEvent(name, ev.data ? JSON.parse(ev.data) : {}); });
    });
  }

  function closeStream() {
    if (S.source) { S.source.close(); S.source = null; }
  }

  function onEvent(name, payload) {
    if (S.finalShown) return;
    touch();
    const data = (payload && payload.data) || {};
    if (name === "end") { closeStream(); return finish(); }
    if (name === "state") {
      if (data.state === "reading") setTitle("progress-title", "reading_title");
      if (data.state === "verifying") advanceTo(stepIndexOf("verifying"), false);
      if (data.state === "face_capture") { advanceTo(stepIndexOf("face_capture"), false); return startCamera(); }
      if (data.state === "done" || data.state === "failed") return finish();
      return;
    }
    if (name === "read_done") { advanceTo(stepIndexOf("chip_authentication"), true); return; }
    if (name === "passive_authentication") { advanceTo(stepIndexOf("verifying"), true); return; }
    if (name === "face_match") { return onFaceDecision(data.decision); }
    const index = stepIndexOf(name);
    if (index >= 0) advanceTo(index, false);
  }

  // A missed event must not leave the screen waiting: check the session's state now and then.
  function watchdog() {
    if (S.finalShown || !S.sessionId) return;
    requestJson("GET", "/kiosk/api/sessions/" + encodeURIComponent(S.sessionId)).then(function (r) {
      if (r.status === 404 || (r.ok && r.data.final)) finish();
      else if (r.ok && r.data.state === "face_capture" && S.screen === "progress") startCamera();
    }).catch(function () {}).finally(function () {
      if (!S.finalShown && S.sessionId) later(watchdog, 2000);
    });
  }

  // --- camera (camera.js): guidance on single frames, then batches to the face endpoint ---------
  async function startCamera() {
    if (S.screen === "camera" || S.finalShown || S.cameraStarting) return;
    const mine = S;
    S.cameraStarting = true;
    const base = "/kiosk/api/sessions/" + encodeURIComponent(S.sessionId);
    // The head-turn challenge (steps, time left) comes with the session's view.
    const r = await requestJson("GET", base).catch(function () { return null; });
    if (S !== mine || S.finalShown) return;
    const live = r && r.ok ? r.data.liveness : null;
    show("camera");
    $("liveness").hidden = !live;
    $("camera-title").dataset.i18n = live ? "liveness_title" : "camera_title";
    $("camera-title").textContent = t($("camera-title").dataset.i18n);
    S.capture = new window.FaceCapture({
      video: $("camera-video"), canvas: $("camera-canvas"), checkUrl: base + "/face-check",
      faceUrl: S.links ? S.links.face : "/v1/verifications/" + encodeURIComponent(S.sessionId) + "/face",
      framesPerBatch: SETTINGS.frames_per_batch, onHint: hint, onEnded: finishSoon,
      liveness: live, onPrompt: prompt, onCountdown: countdown, onSeen: seenTurn });
    S.cameraOpenedAt = Date.now();
    await S.capture.start();
  }

  // The prompt of the challenge: "front", "left", "right", "back" (null: all done).
  function prompt(kind, turn, turns) {
    touch();
    S.prompt = kind ? { kind: kind, turn: turn, turns: turns } : null;
    if (kind) S.prompts.push(kind);
    renderPrompt();
    if (kind) window.Say.speak(t("liveness_" + kind));
  }

  function seenTurn() { window.Say.speak(t("liveness_seen")); }

  function renderPrompt() {
    const p = S.prompt;
    $("liveness-prompt-box").dataset.direction = p ? p.kind : "front";
    $("liveness-prompt-box").hidden = !p;
    if (!p) { $("liveness-step").textContent = ""; return; }
    const el = $("liveness-prompt");
    el.dataset.i18n = "liveness_" + p.kind;
    el.textContent = t(el.dataset.i18n);
    $("liveness-step").textContent = p.turn ? t("liveness_step_of", { i: p.turn, n: p.turns }) : "";
  }

  function countdown(n) {
    S.secondsLeft = n;
    $("liveness-countdown").dataset.n = String(n);
    $("liveness-countdown").textContent = t("liveness_seconds_left", { n: n });
  }

  function hint(key) {
    const el = $("camera-hint");
    // During the prompts the prompt is the instruction: a hint shows only when there is a problem.
    el.hidden = !key;
    if (!key) return;
    // A reason without a prompt of its own (an unreadable frame) gets the general one.
    el.dataset.i18n = window.I18n.has(key) ? key : "hint_no_face";
    el.textContent = t(el.dataset.i18n);
  }

  function onFaceDecision(decision) {
    if (S.capture) S.capture.decided(decision);
  }

  // Keeps the last good frame (for the result screen) only when asked to.
  function stopCamera(keepLast) {
    const capture = S.capture;
    if (!capture) return null;
    const last = keepLast ? capture.takeLastFrame() : null;
    capture.stop();
    return last;
  }

  // --- result -------------------------------------------------------------------------------
  function finishSoon() { later(finish, 300); }

  async function finish() {
    if (S.finalShown || !S.sessionId) return;
    const mine = S;
    const r = await requestJson("GET", "/kiosk/api/sessions/" + encodeURIComponent(S.sessionId))
      .catch(function () { return null; });
    if (S !== mine || S.finalShown) return;
    if (r && r.ok && !r.data.final) { later(finish, 500); return; }   // not over yet: ask again
    S.finalShown = true;
    S.decidedAt = Date.now();
    closeStream();
    const live = stopCamera(true);
    const view = r && r.ok ? r.data : { verified: false, reason: r && r.status === 404 ? "timeout" : "service_problem" };
    if (!view.verified && view.reason === "wrong_can" && S.usedMrz) view.reason = "wrong_mrz";
    // The QR's CAN opened no chip: the QR belongs to another card than the one on the reader.
    if (!view.verified && view.reason === "wrong_can" && S.usedQr) view.reason = "qr_id_mismatch";
    await compareQr(view);
    if (S !== mine) return;
    S.view = view;
    (view.steps || []).forEach(function (name) {
      const index = stepIndexOf(name);
      if (index >= 0) advanceTo(index, false);
    });
    if (view.failed_step && stepIndexOf(view.failed_step) >= 0) advanceTo(stepIndexOf(view.failed_step), false);
    if (view.verified) advanceTo(SETTINGS.steps.length - 1, true);
    else if (S.stepIndex >= 0) {
      const li = document.querySelectorAll(".step")[S.stepIndex];
      if (li && li.dataset.status !== "done") setStep(li, "failed");
    }
    // A walk-up person can try again at once when the cause is theirs to fix (a typo, the card moved).
    $("try-again").hidden = !(SETTINGS.walk_up && !view.verified && view.relying_party === "kiosk-screen" &&
      RETRYABLE.includes(view.reason));
    renderResult();
    show("result");
    settled(false);
    window.Say.speak($("verdict-title").textContent + ". " + $("reason-primary").textContent);
    await showPhotos(view, live);
    if (S !== mine) return;
    S.countdown = SETTINGS.reset_seconds;
    tick();
    settled(true);
  }

  function renderResult() {
    const view = S.view;
    if (!view) return;
    const verdict = view.verified ? "verified" : "not_verified";
    $("verdict").dataset.verdict = verdict;
    $("verdict-title").textContent = t(verdict);
    const key = !view.verified ? (view.reason === "qr_id_mismatch" ? "qr_id_mismatch" : "reason_" + (view.reason || "unknown"))
      : view.relying_party === WALK_UP_PARTY ? (view.face_required ? "verified_face_walk_up" : "verified_text_walk_up")
        : "verified_text";
    renderStages(view);
    // One notice beside the verdict: the profile accepts an expired card, the QR differs from the
    // chip, or the face step did not run and why.
    const skipped = view.face_reason === "face_skipped_card" && view.reason !== "face_skipped_card";
    showNotice("result-notice", view.notice ? "reason_" + view.notice : S.qrWarning ? "qr_warning"
      : skipped ? "reason_face_skipped_card" : null);
    const took = S.startedAt ? (Date.now() - S.startedAt) / 1000 : 0;
    $("took").textContent = took ? t("took_seconds", { s: window.Say.number(took, 2) }) : "";
    const other = window.I18n.other();
    // No "Try again" button here (a desk started it, or the cause is not the person's to fix):
    // the next step is the staff.
    const nextStep = function (text, lang) {
      if (!$("try-again").hidden) return text;
      return text.replace(window.I18n.tIn(lang, "suffix_try_again"), window.I18n.tIn(lang, "suffix_ask_staff"));
    };
    $("reason-primary").textContent = nextStep(t(key), window.I18n.lang);
    $("reason-secondary").textContent = nextStep(window.I18n.tIn(other, key), other);
    $("reason-secondary").lang = other;
    if (window.InsurancePanel) window.InsurancePanel.render(view.insurance);  // BHYT panel
    renderCountdown();
  }

  // The card and the face, each with its own verdict: a face problem never reads "card not verified".
  function renderStages(view) {
    const card = $("stage-card"), face = $("stage-face");
    const cardKey = view.card === "genuine" ? "card_genuine" : view.card === "expired" ? "card_expired"
      : view.card ? "card_not_genuine" : null;
    card.hidden = !cardKey;
    card.dataset.ok = view.card === "genuine" ? "true" : view.card === "expired" ? "notice" : "false";
    card.textContent = cardKey ? t(cardKey) : "";
    const faceAsked = !!view.face_required && !!view.card;
    face.hidden = !faceAsked;
    const faceKey = !view.face_reason ? "face_matched" : view.face_reason === "face_skipped_card" ? "face_skipped"
      : "face_not_matched";
    face.dataset.ok = view.face_reason ? (view.face_reason === "face_skipped_card" ? "skipped" : "false") : "true";
    face.textContent = faceAsked ? t(faceKey) : "";
  }

  // The QR's name and birth date against the chip's: a difference is a warning, never kept.
  async function compareQr(view) {
    const qr = S.qr;
    S.qr = null;
    if (!qr || !S.sessionId) return;
    const r = await requestJson("POST", "/kiosk/api/sessions/" + encodeURIComponent(S.sessionId) + "/qr-check",
      { id_number: qr.id_number, full_name: qr.full_name, birth_date: qr.birth_date }).catch(function () { return null; });
    if (!r || !r.ok) return;
    if (r.data.id_matches === false && view.verified) { view.verified = false; view.reason = "qr_id_mismatch"; }
    S.qrWarning = r.data.name_matches === false || r.data.birth_matches === false;
  }

  // --- QR code on the front of the card: camera (qr.js) or a USB scanner typing it ------------
  function startQr() {
    if (S.qrScanner || S.keyMode !== "can" || S.submitting) return;
    const scanner = new window.CccdQr.Scanner({
      video: $("qr-video"), canvas: $("qr-canvas"), onText: onQrText,
      onUnavailable: function () {
        $("qr-entry").classList.add("no-camera");
        $("qr-help").dataset.i18n = "camera_denied";
        $("qr-help").textContent = t("camera_denied");
      } });
    S.qrScanner = scanner;
    scanner.start();
  }

  function stopQr() {
    if (S.qrScanner) { S.qrScanner.stop(); S.qrScanner = null; }
  }

  function onQrText(text) {
    if (S.screen !== "key" || S.submitting) return;
    touch();
    const fields = window.CccdQr.parse(text);
    if (!fields) return setError("key-error", "qr_not_cccd");
    stopQr();
    S.qr = fields;              // kept only until the chip's values are compared, then dropped
    S.usedQr = true;
    S.keyMode = "can";
    S.can = fields.can;
    setError("key-error", null);
    renderKey();
    submitKey();
  }

  // --- demo mode: the person's own photo first, as the demo card's chip photo -----------------
  async function showDemo() {
    touch();
    if (S.sessionId || S.starting) return;
    showNotice("idle-notice", null);
    show("demo");
    demoHint("camera_starting");
    $("demo-capture").disabled = true;
    const mine = S;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
      if (S !== mine || S.screen !== "demo") { stream.getTracks().forEach(function (tr) { tr.stop(); }); return; }
      S.demo = stream;
      $("demo-video").srcObject = stream;
      demoHint("hint_no_face");
      $("demo-capture").disabled = false;
    } catch {
      if (S === mine) demoHint("camera_denied");
    }
  }

  function demoHint(key) { $("demo-hint").dataset.i18n = key; $("demo-hint").textContent = t(key); }

  function stopDemo() {
    if (S.demo) { S.demo.getTracks().forEach(function (tr) { tr.stop(); }); S.demo = null; }
    $("demo-video").srcObject = null;
    $("demo-canvas").width = 0;
  }

  async function takeDemoPhoto() {
    touch();
    const video = $("demo-video"), canvas = $("demo-canvas");
    if (!video.videoWidth) return;
    $("demo-capture").disabled = true;
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    const blob = await new Promise(function (res) { canvas.toBlob(res, "image/jpeg", 0.92); });
    canvas.width = 0;
    const mine = S;
    const r = await request("POST", "/kiosk/api/demo/photo", blob, { "Content-Type": "image/jpeg" })
      .catch(function () { return null; });
    if (S !== mine || S.screen !== "demo") return;
    if (r && r.ok) {
      stopDemo();
      showNotice("idle-notice", "demo_photo_taken");
      show("idle");
      return startWalkUp();
    }
    $("demo-capture").disabled = false;
    demoHint(r && r.status === 422 ? "demo_no_face" : "reason_service_problem");
  }

  function objectUrl(blob) {
    const url = URL.createObjectURL(blob);
    S.objectUrls.push(url);
    return url;
  }

  async function showPhotos(view, live) {
    const mine = S;
    let chip = null;
    if (view.chip_photo) {
      try {
        const resp = await request("GET", "/kiosk/api/sessions/" + encodeURIComponent(S.sessionId) + "/chip-photo");
        if (resp.ok) chip = await resp.blob();
      } catch { chip = null; }
    }
    if (S !== mine) return;         // reset meanwhile: nothing of this person is shown
    // The photo of a chip whose data fails the issuer's signature is not the holder's to trust:
    // it was fetched only so the service drops it, and is not shown beside "not genuine".
    if (view.reason === "document_invalid") chip = null;
    if (!chip && !live) return;
    setPhoto($("photo-chip"), chip, false);
    setPhoto($("photo-live"), live, true);
    $("photos").hidden = false;
  }

  function setPhoto(img, blob, mirrored) {
    img.classList.toggle("mirrored", mirrored);
    img.closest("figure").hidden = !blob;      // no face match, or no chip photo: no empty frame
    if (blob) img.src = objectUrl(blob);
    else img.removeAttribute("src");
  }

  function renderCountdown() {
    const el = $("reset-countdown");
    el.dataset.n = String(S.countdown);
    el.textContent = S.countdown > 0 ? t("reset_in", { n: S.countdown }) : "";
  }

  function tick() {
    if (S.screen !== "result") return;
    renderCountdown();
    if (S.countdown <= 0) return reset();
    S.countdown -= 1;
    later(tick, 1000);
  }

  // --- reset: nothing of the last person stays in the DOM, in JS state, or in the camera ------
  function reset(keepNotice) {
    const old = S;
    if (keepNotice !== true) keepNotice = false;
    if (old.sessionId && !old.finalShown) {
      // Free the reader for the next person; failures only mean the session already ended.
      request("POST", "/kiosk/api/sessions/" + encodeURIComponent(old.sessionId) + "/cancel").catch(function () {});
    }
    old.timers.forEach(function (id) { clearTimeout(id); });
    old.timers.clear();
    closeStream();
    stopCamera();
    old.objectUrls.forEach(function (url) { URL.revokeObjectURL(url); });
    ["photo-chip", "photo-live"].forEach(function (id) { $(id).removeAttribute("src"); $(id).closest("figure").hidden = false; });
    $("photos").hidden = true;
    if (window.InsurancePanel) window.InsurancePanel.clear();  // nothing of the last person stays
    $("try-again").hidden = true;
    stopQr();
    stopDemo();
    window.Say.stop();
    // The demo card's photo (the person's own) is dropped with everything else.
    if (SETTINGS.demo) request("DELETE", "/kiosk/api/demo/photo").catch(function () {});
    ["stage-card", "stage-face"].forEach(function (id) { $(id).textContent = ""; $(id).dataset.ok = ""; });
    showNotice("result-notice", null);
    $("took").textContent = "";
    $("insurance-panel").hidden = true;
    $("insurance-panel").textContent = "";
    ["verdict-title", "reason-primary", "reason-secondary", "reset-countdown"].forEach(function (id) { $(id).textContent = ""; });
    $("verdict").dataset.verdict = "";
    document.querySelectorAll(".privacy-attributes, .privacy-party").forEach(function (el) { el.textContent = ""; });
    document.querySelectorAll(".privacy-requester, .privacy-face, .privacy-walk-up").forEach(function (el) { el.hidden = true; });
    $("steps").querySelector('[data-step="face"]').hidden = false;
    $("liveness").hidden = true;
    $("camera-hint").hidden = false;
    $("camera-title").dataset.i18n = "camera_title";
    $("camera-title").textContent = t("camera_title");
    $("liveness-countdown").textContent = "";
    $("liveness-step").textContent = "";
    setError("key-error", null);
    setError("idle-error", null);
    if (!keepNotice) showNotice("idle-notice", null);
    S = fresh();
    renderKey();
    resetSteps();
    hint("camera_starting");
    window.I18n.set("vi");          // the next person starts in Vietnamese
    show("idle");
    pollCurrent();
  }

  function touch() { S.lastActivity = Date.now(); }

  // Someone walked away mid-entry: clear the screen after idle_seconds without a touch or event.
  setInterval(function () {
    if (["key", "camera", "demo"].includes(S.screen) && Date.now() - S.lastActivity > SETTINGS.idle_seconds * 1000) reset();
  }, 1000);

  // --- wiring -------------------------------------------------------------------------------
  $("start").addEventListener("click", startWalkUp);
  if ($("demo-photo")) $("demo-photo").addEventListener("click", showDemo);
  $("demo-capture").addEventListener("click", takeDemoPhoto);
  $("keypad").addEventListener("click", function (ev) {
    const key = ev.target.closest(".key");
    if (!key) return;
    touch();
    if (key.dataset.digit) typeDigit(key.dataset.digit);
    else if (key.dataset.key === "delete") deleteDigit();
    else if (key.dataset.key === "ok") submitKey();
  });
  $("toggle-mrz").addEventListener("click", function () {
    touch();
    S.keyMode = S.keyMode === "can" ? "mrz" : "can";
    setError("key-error", null);
    renderKey();
  });
  document.querySelectorAll(".mrz-field").forEach(function (label) {
    label.addEventListener("click", function () { touch(); S.mrzField = label.dataset.field; renderKey(); });
  });
  document.addEventListener("keydown", function (ev) {
    if (S.screen !== "key" || ev.ctrlKey || ev.altKey || ev.metaKey) return;
    touch();
    if (ev.key.length === 1) S.qrRaw = (S.qrRaw + ev.key).slice(-400);
    if (ev.key === "Enter" && S.qrRaw.includes("|")) {
      // A scanner typed a QR text: the digits it began with are not a typed CAN.
      const text = S.qrRaw;
      S.qrRaw = "";
      ev.preventDefault();
      if (S.scan.before) restoreKey(S.scan.before);
      S.scan = { line: "", before: null, lines: {} };
      renderKey();
      return onQrText(text);
    }
    if (ev.key === "Enter") S.qrRaw = "";
    const c = ev.key.length === 1 ? ev.key.toUpperCase() : "";
    const handled = /^[A-Z0-9<]$/.test(c) || ev.key === "Backspace" || ev.key === "Enter";
    if (handled) ev.preventDefault();     // or Enter would also press the focused on-screen key
    if (c && handled) keyboardChar(c);
    else if (ev.key === "Backspace") {
      if (/[A-Z<]/.test(S.scan.line)) S.scan.line = S.scan.line.slice(0, -1);
      else { S.scan.line = S.scan.line.slice(0, -1); deleteDigit(); }
    } else if (ev.key === "Enter") keyboardEnter();
  });
  document.addEventListener("pointerdown", touch);
  document.querySelectorAll('[data-action="cancel"]').forEach(function (b) { b.addEventListener("click", function () { reset(); }); });
  document.querySelector('[data-action="finish"]').addEventListener("click", function () { reset(); });
  $("try-again").addEventListener("click", function () { reset(); startWalkUp(); });
  window.I18n.onChange(function () {
    renderKey();
    renderResult();
    if (S.screen === "camera" && S.prompt) renderPrompt();
    if (S.screen === "camera" && S.secondsLeft !== undefined) countdown(S.secondsLeft);
  });

  // What a test or a technician may inspect: counts and states only, never a key or a picture.
  window.cccdKiosk = {
    snapshot: function () {
      return {
        screen: S.screen, sessionId: S.sessionId, keyLength: S.can.length +
          MRZ_FIELDS.reduce(function (n, f) { return n + S.mrz[f].length; }, 0),
        objectUrls: S.objectUrls.length, streamActive: !!(S.capture && S.capture.stream),
        eventSource: !!S.source, pendingTimers: S.timers.size,
        lastFrame: !!(S.capture && S.capture.lastFrame), goodFrames: S.capture ? S.capture.good.length : 0,
        view: S.view ? { verified: S.view.verified, reason: S.view.reason } : null,
        prompt: S.prompt ? S.prompt.kind : null, secondsLeft: S.secondsLeft === undefined ? null : S.secondsLeft,
        prompts: S.prompts.slice(), faceSeconds: S.decidedAt && S.cameraOpenedAt ? (S.decidedAt - S.cameraOpenedAt) / 1000 : null,
        lang: window.I18n.lang, qrHeld: !!S.qr, usedQr: S.usedQr, qrScanning: !!S.qrScanner,
      };
    },
  };

  renderKey();
  show("idle");
  pollCurrent();
})();
