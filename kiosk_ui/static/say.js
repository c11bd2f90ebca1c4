/* Vietnamese number and date formats (12,98 giây; 31/12/2026), and optional spoken prompts
   (speechSynthesis, vi-VN) when the browser has a voice for the language. */
"use strict";
(function () {
  function locale() { return window.I18n && window.I18n.lang === "en" ? "en-GB" : "vi-VN"; }

  function number(value, digits) {
    return new Intl.NumberFormat(locale(), { minimumFractionDigits: digits || 0,
      maximumFractionDigits: digits || 0 }).format(value);
  }

  // "YYYY-MM-DD" (or a Date) as dd/mm/yyyy, the format both languages use on a CCCD.
  function date(value) {
    const d = value instanceof Date ? value : new Date(String(value) + "T00:00:00Z");
    const pad = function (n) { return String(n).padStart(2, "0"); };
    return pad(d.getUTCDate()) + "/" + pad(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear();
  }

  let enabled = true;
  function voiceFor(lang) {
    if (!("speechSynthesis" in window)) return null;
    const want = lang === "en" ? "en" : "vi";
    return window.speechSynthesis.getVoices().find(function (v) {
      return v.lang.toLowerCase().startsWith(want); }) || null;
  }

  // Speaks only where a voice for the language exists: no voice, no sound, nothing else changes.
  function speak(text) {
    if (!enabled || !text) return false;
    const lang = window.I18n ? window.I18n.lang : "vi";
    const voice = voiceFor(lang);
    if (!voice) return false;
    window.speechSynthesis.cancel();
    const u = new window.SpeechSynthesisUtterance(text);
    u.voice = voice;
    u.lang = voice.lang;
    window.speechSynthesis.speak(u);
    return true;
  }

  function stop() { if ("speechSynthesis" in window) window.speechSynthesis.cancel(); }

  window.Say = {
    number: number, date: date, speak: speak, stop: stop,
    setEnabled: function (on) { enabled = !!on; if (!on) stop(); },
  };
})();
