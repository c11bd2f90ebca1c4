/* Face capture for one verification: the camera stream, guidance on single frames from the
   service's quality gates (/kiosk/api/.../face-check), then a batch of good JPEG frames to the
   face endpoint. Frames live only in this object and go when stop() is called. */
"use strict";
(function () {
  const EVERY_MS = 400;

  function FaceCapture(opts) {
    // opts: video, canvas, checkUrl, faceUrl, framesPerBatch, onHint(key), onEnded()
    this.opts = opts;
    this.stream = null;
    this.running = false;     // the guidance loop runs
    this.busy = false;        // a batch is with the matcher
    this.stopped = false;
    this.timer = null;
    this.good = [];
    this.lastFrame = null;
  }

  // --- liveness: timed prompts (front, then each turn and back), frames sent with capture times ---
  // Seconds per prompt; scaled down when less time is left in the challenge window.
  const LIVE = { front: 2.0, turn: 2.2, back: 1.8, margin: 1.0, everyMs: 500, batch: 4 };

  function timeline(steps, secondsLeft) {
    const plan = [{ kind: "front", s: LIVE.front }];
    steps.forEach(function (dir) { plan.push({ kind: dir, s: LIVE.turn }, { kind: "back", s: LIVE.back }); });
    const total = plan.reduce(function (n, p) { return n + p.s; }, 0);
    const scale = Math.min(1, Math.max(secondsLeft - LIVE.margin, 1) / total);
    let at = 0;
    return plan.map(function (p) { const item = { kind: p.kind, from: at, to: at + p.s * scale }; at = item.to; return item; });
  }

  FaceCapture.prototype.startLiveness = function () {
    // opts.liveness: {steps, seconds_left, now}; opts.onPrompt(kind, index, count); opts.onCountdown(n)
    const live = this.opts.liveness, self = this;
    this.clockOffset = live.now - Date.now() / 1000;     // capture times in the service's clock
    this.deadlineMs = Date.now() + live.seconds_left * 1000;
    this.plan = timeline(live.steps, live.seconds_left);
    this.t0 = Date.now();
    this.pending = [];
    this.prompt = -1;
    this.liveTimer = setInterval(function () { self.liveTick(); }, LIVE.everyMs);
    this.liveTick();
  };

  FaceCapture.prototype.liveTick = async function () {
    if (!this.running) return;
    const elapsed = (Date.now() - this.t0) / 1000;
    this.opts.onCountdown(Math.max(0, Math.ceil((this.deadlineMs - Date.now()) / 1000)));
    const index = this.plan.findIndex(function (p) { return elapsed < p.to; });
    if (index < 0 || Date.now() >= this.deadlineMs) return this.endLiveness();
    if (index !== this.prompt) {
      this.prompt = index;
      const turns = this.plan.filter(function (p) { return p.kind === "left" || p.kind === "right"; }).length;
      const done = this.plan.slice(0, index + 1).filter(function (p) { return p.kind === "left" || p.kind === "right"; }).length;
      this.opts.onPrompt(this.plan[index].kind, done, turns);
    }
    if (this.grabbing) return;
    this.grabbing = true;
    const capturedAt = Date.now() / 1000 + this.clockOffset;
    const frame = await this.grab();
    this.grabbing = false;
    if (!frame || !this.running) return;
    // The latest straight-on frame, for the result screen (the camera's very first may be black).
    if (["front", "back"].includes(this.plan[index].kind)) this.lastFrame = frame;
    this.pending.push({ blob: frame, at: capturedAt });
    this.good.push(frame);
    if (this.pending.length >= LIVE.batch) this.sendTimed(false);
  };

  FaceCapture.prototype.endLiveness = function () {
    clearInterval(this.liveTimer);
    if (this.ended) return;
    this.ended = true;
    this.running = false;
    this.opts.onPrompt(null, 0, 0);
    this.opts.onHint("camera_checking");
    this.sendTimed(true);
  };

  // Batches go one after another, so the final one never overtakes an earlier one.
  FaceCapture.prototype.sendTimed = function (final) {
    const batch = this.pending, self = this;
    this.pending = [];
    this.good = [];
    if (!batch.length && !final) return;
    this.sending = (this.sending || Promise.resolve()).then(async function () {
      let resp = null;
      try {
        if (batch.length) {
          const form = new FormData();
          batch.forEach(function (f, i) {
            form.append("frame", f.blob, "frame" + i + ".jpg");
            form.append("captured_at", f.at.toFixed(3));
          });
          resp = await window.Net.request("POST", self.opts.faceUrl + (final ? "?final=true" : ""), form);
        } else resp = await self.sendFinalOnly();
      } catch { /* no answer: handled below like a failed request */ }
      if (resp && resp.status === 409 && !self.stopped) {
        self.running = false;
        clearInterval(self.liveTimer);
        self.opts.onEnded();
      }
    });
  };

  // The last batch was already sent: repeat the last frame with final=true (it is already counted).
  FaceCapture.prototype.sendFinalOnly = function () {
    if (!this.lastFrame) return Promise.resolve(null);
    const form = new FormData();
    form.append("frame", this.lastFrame, "last.jpg");
    form.append("captured_at", "0");                 // outside every window: ignored by the check
    return window.Net.request("POST", this.opts.faceUrl + "?final=true", form);
  };

  FaceCapture.prototype.start = async function () {
    this.opts.onHint("camera_starting");
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" }, audio: false });
      if (this.stopped) { stream.getTracks().forEach(function (tr) { tr.stop(); }); return false; }
      this.stream = stream;
    } catch {
      this.opts.onHint("camera_unavailable");
      return false;
    }
    this.opts.video.srcObject = this.stream;
    this.running = true;
    if (this.opts.liveness) {
      const self = this;
      // Wait for the first picture so the prompts do not run ahead of the camera.
      await new Promise(function (res) {
        if (self.opts.video.videoWidth) return res();
        self.opts.video.addEventListener("loadeddata", res, { once: true });
        setTimeout(res, 2000);
      });
      if (this.running) this.startLiveness();
    } else this.schedule();
    return true;
  };

  FaceCapture.prototype.schedule = function () {
    const self = this;
    clearTimeout(this.timer);
    if (this.running && !this.busy) this.timer = setTimeout(function () { self.step(); }, EVERY_MS);
  };

  FaceCapture.prototype.grab = function () {
    const video = this.opts.video, canvas = this.opts.canvas;
    if (!video.videoWidth) return Promise.resolve(null);
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    return new Promise(function (res) { canvas.toBlob(res, "image/jpeg", 0.9); });
  };

  FaceCapture.prototype.step = async function () {
    if (!this.running || this.busy) return;
    const frame = await this.grab();
    if (!frame) return this.schedule();
    let r = null;
    try {
      const resp = await window.Net.request("POST", this.opts.checkUrl, frame, { "Content-Type": "image/jpeg" });
      r = { status: resp.status, data: await resp.json() };
    } catch { /* no answer: this frame is skipped */ }
    if (!this.running) return;
    if (r && r.status === 409) { this.running = false; return this.opts.onEnded(); }
    if (r && r.status === 200) {
      if (r.data.ok) {
        this.good.push(frame);
        this.lastFrame = frame;
        this.opts.onHint("hint_ok");
      } else {
        this.opts.onHint("hint_" + (r.data.hint || "no_face"));
      }
    }
    if (this.good.length >= this.opts.framesPerBatch) return this.send();
    this.schedule();
  };

  FaceCapture.prototype.send = async function () {
    this.busy = true;
    this.opts.onHint("camera_checking");
    const form = new FormData();
    this.good.forEach(function (blob, i) { form.append("frame", blob, "frame" + i + ".jpg"); });
    this.good = [];
    let resp = null;
    try { resp = await window.Net.request("POST", this.opts.faceUrl, form); } catch { /* no answer: handled below like a failed request */ }
    if (resp && resp.ok) return;     // the face_match event (or the session's end) says what is next
    this.busy = false;
    if (resp && resp.status === 409) { this.running = false; return this.opts.onEnded(); }
    this.schedule();
  };

  // The service's face_match decision for the last batch: only "undetermined" asks for more.
  FaceCapture.prototype.decided = function (decision) {
    this.busy = false;
    if (this.opts.liveness) { this.running = false; return; }   // one challenge: the session ends next
    if (decision === "undetermined") this.schedule();
    else this.running = false;
  };

  FaceCapture.prototype.takeLastFrame = function () {
    const frame = this.lastFrame;
    this.lastFrame = null;
    return frame;
  };

  FaceCapture.prototype.stop = function () {
    this.stopped = true;
    this.running = false;
    clearTimeout(this.timer);
    clearInterval(this.liveTimer);
    this.pending = [];
    if (this.stream) this.stream.getTracks().forEach(function (tr) { tr.stop(); });
    this.stream = null;
    this.good = [];
    this.lastFrame = null;
    this.opts.video.pause();
    this.opts.video.srcObject = null;
    this.opts.canvas.width = 0;
  };

  window.FaceCapture = FaceCapture;
})();
