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

  // --- liveness: prompts that answer. Each frame's head pose comes back from the face-check
  // endpoint; the next prompt shows as soon as the asked turn is seen (never on a timer), and the
  // challenge ends as soon as every turn was seen and the head is straight again. The deadline is
  // only a fallback. The service decides on the timestamped frames themselves, not on this.
  // A pose check every 0.3 s; a frame goes to the service every 0.6 s, and always the frame that
  // showed a turn or the return to straight (the service's buffer holds 32 frames per challenge).
  const LIVE = { everyMs: 300, sendEveryMs: 600, batch: 4 };

  FaceCapture.prototype.startLiveness = function () {
    // opts.liveness: {steps, seconds_left, now}; opts.onPrompt(kind, index, count); opts.onCountdown(n)
    const live = this.opts.liveness, self = this;
    this.clockOffset = live.now - Date.now() / 1000;     // capture times in the service's clock
    this.deadlineMs = Date.now() + live.seconds_left * 1000;
    this.steps = live.steps.slice();
    this.seen = 0;               // turns seen so far
    this.phase = "front";        // "front" (baseline), a direction (turning), "back" (to frontal)
    this.baseline = null;
    this.pending = [];
    this.advances = 0;           // prompt changes: the frame that caused one is always sent
    this.lastSent = 0;
    this.finalSent = false;
    this.opts.onPrompt("front", 0, this.steps.length);
    this.liveTimer = setInterval(function () { self.liveTick(); }, LIVE.everyMs);
    this.liveTick();
  };

  // The pose of one frame moves the prompt on: yaw > 0 is the person's own left (unmirrored frame).
  FaceCapture.prototype.onPose = function (yaw, limits) {
    if (yaw === null || yaw === undefined || this.ended) return;
    const turn = limits.turn_delta, frontal = limits.frontal_delta;
    if (this.phase === "front") {
      if (Math.abs(yaw) >= turn) return;
      this.baseline = yaw;
      return this.next(this.steps[0]);
    }
    const delta = yaw - this.baseline;
    if (this.phase === "back") {
      if (Math.abs(delta) > frontal) return;
      if (this.seen >= this.steps.length) return this.endLiveness();
      return this.next(this.steps[this.seen]);
    }
    const direction = delta >= turn ? "left" : delta <= -turn ? "right" : null;
    if (direction === this.phase) {
      this.seen += 1;
      this.opts.onSeen();
      this.next("back");
    }
  };

  FaceCapture.prototype.next = function (phase) {
    this.advances += 1;
    this.phase = phase;
    this.opts.onPrompt(phase, phase === "back" || phase === "front" ? 0 : this.seen + 1, this.steps.length);
  };

  FaceCapture.prototype.liveTick = async function () {
    if (!this.running) return;
    this.opts.onCountdown(Math.max(0, Math.ceil((this.deadlineMs - Date.now()) / 1000)));
    if (Date.now() >= this.deadlineMs) return this.endLiveness();
    if (this.grabbing) return;
    this.grabbing = true;
    const capturedAt = Date.now() / 1000 + this.clockOffset;
    const frame = await this.grab();
    if (!frame || !this.running) { this.grabbing = false; return; }
    const phase = this.phase, before = this.advances;
    await this.check(frame);
    this.grabbing = false;
    const advanced = this.advances !== before;
    // Ended meanwhile by the deadline: the final batch goes now, without this frame.
    if (this.ended && !advanced) { if (!this.finalSent) this.sendTimed(true); return; }
    // The latest straight-on frame, for the result screen (the camera's very first may be black).
    if (phase === "front" || phase === "back") this.lastFrame = frame;
    if (!advanced && Date.now() - this.lastSent < LIVE.sendEveryMs) return;
    this.lastSent = Date.now();
    this.pending.push({ blob: frame, at: capturedAt });
    if (this.pending.length >= LIVE.batch || this.ended) this.sendTimed(this.ended);
  };

  // One frame to the guidance endpoint: feedback for the person, and the pose for the prompts.
  FaceCapture.prototype.check = async function (frame) {
    let r;
    try {
      const resp = await window.Net.request("POST", this.opts.checkUrl, frame, { "Content-Type": "image/jpeg" });
      r = { status: resp.status, data: await resp.json() };
    } catch { r = null; }
    if (!this.running || !r) return;
    if (r.status === 409) return;             // the session moved on: the final answer comes next
    if (r.status !== 200) return;
    const hint = r.data.hint;
    // Turned is what the challenge asks for; only what the person can fix is said.
    this.opts.onHint(hint && hint !== "not_frontal" ? "hint_" + hint : null);
    this.onPose(r.data.yaw, r.data);
  };

  FaceCapture.prototype.endLiveness = function () {
    clearInterval(this.liveTimer);
    if (this.ended) return;
    this.ended = true;
    this.advances += 1;
    this.running = false;
    this.opts.onPrompt(null, 0, 0);
    this.opts.onHint("camera_checking");
    // Ended by a pose answer: the tick that got it sends the frame that showed it, as the final.
    if (!this.grabbing) this.sendTimed(true);
  };

  // Batches go one after another, so the final one never overtakes an earlier one.
  FaceCapture.prototype.sendTimed = function (final) {
    const batch = this.pending, self = this;
    if (final) this.finalSent = true;
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
