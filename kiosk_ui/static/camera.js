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

  FaceCapture.prototype.start = async function () {
    this.opts.onHint("camera_starting");
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" }, audio: false });
      if (this.stopped) { stream.getTracks().forEach(function (tr) { tr.stop(); }); return false; }
      this.stream = stream;
    } catch (e) {
      this.opts.onHint("camera_unavailable");
      return false;
    }
    this.opts.video.srcObject = this.stream;
    this.running = true;
    this.schedule();
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
    } catch (e) { r = null; }
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
    try { resp = await window.Net.request("POST", this.opts.faceUrl, form); } catch (e) { resp = null; }
    if (resp && resp.ok) return;     // the face_match event (or the session's end) says what is next
    this.busy = false;
    if (resp && resp.status === 409) { this.running = false; return this.opts.onEnded(); }
    this.schedule();
  };

  // The service's face_match decision for the last batch: only "undetermined" asks for more.
  FaceCapture.prototype.decided = function (decision) {
    this.busy = false;
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
