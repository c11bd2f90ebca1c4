/* The QR code on the front of a CCCD: read by the kiosk camera (BarcodeDetector when the browser
   has one, else the vendored jsQR) or typed by a USB scanner. Its text is
   "ID|old ID|name|birth date ddmmyyyy|sex|address|issue date ddmmyyyy"; the CAN is the ID's last
   6 digits. Nothing read here is kept: the caller gets the fields once and drops them. */
"use strict";
(function () {
  const EVERY_MS = 250;

  // The fields of a CCCD QR text, or null when the text is not one.
  function parse(text) {
    const parts = String(text || "").trim().split("|");
    if (parts.length < 7) return null;
    const id = parts[0].trim();
    const birth = parts[3].trim();
    if (!/^\d{12}$/.test(id) || !/^\d{8}$/.test(birth)) return null;
    return { id_number: id, can: id.slice(6), full_name: parts[2].trim(), birth_date: birth };
  }

  function QrScanner(opts) {
    // opts: video, canvas, onText(text), onUnavailable()
    this.opts = opts;
    this.stream = null;
    this.timer = null;
    this.stopped = false;
    this.detector = null;
  }

  QrScanner.prototype.start = async function () {
    try {
      if ("BarcodeDetector" in window) {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.includes("qr_code")) this.detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      }
    } catch { this.detector = null; }
    if (!this.detector && typeof window.jsQR !== "function") { this.opts.onUnavailable(); return false; }
    try {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new Error("no camera");
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false });
      if (this.stopped) { stream.getTracks().forEach(function (tr) { tr.stop(); }); return false; }
      this.stream = stream;
    } catch {
      if (!this.stopped) this.opts.onUnavailable();
      return false;
    }
    this.opts.video.srcObject = this.stream;
    this.schedule();
    return true;
  };

  QrScanner.prototype.schedule = function () {
    const self = this;
    if (!this.stopped) this.timer = setTimeout(function () { self.scan(); }, EVERY_MS);
  };

  QrScanner.prototype.scan = async function () {
    const video = this.opts.video;
    if (this.stopped) return;
    if (!video.videoWidth) return this.schedule();
    let text;
    try {
      if (this.detector) {
        const codes = await this.detector.detect(video);
        text = codes.length ? codes[0].rawValue : null;
      } else {
        const canvas = this.opts.canvas;
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        const ctx = canvas.getContext("2d", { willReadFrequently: true });
        ctx.drawImage(video, 0, 0);
        const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
        const code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        text = code ? code.data : null;
      }
    } catch { text = null; }
    if (this.stopped) return;
    if (text) this.opts.onText(text);
    this.schedule();
  };

  QrScanner.prototype.stop = function () {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.stream) this.stream.getTracks().forEach(function (tr) { tr.stop(); });
    this.stream = null;
    this.opts.video.pause();
    this.opts.video.srcObject = null;
    this.opts.canvas.width = 0;
  };

  window.CccdQr = { parse: parse, Scanner: QrScanner };
})();
