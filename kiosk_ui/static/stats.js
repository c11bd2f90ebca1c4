/* The operators' statistics page: GET /v1/stats (audit log, no personal data) drawn as charts. */
"use strict";
(function () {
  const t = window.I18n.t;
  const $ = function (id) { return document.getElementById(id); };
  const DAYS = Number(new URLSearchParams(location.search).get("days")) || 30;
  const REASONS = JSON.parse(document.getElementById("stats-reasons").textContent);
  let last = null;

  // A reason code as plain words (the code itself stays in the tooltip and in small text).
  function reasonKey(code) {
    if (REASONS.codes[code]) return REASONS.codes[code];
    const prefix = Object.keys(REASONS.prefixes).find(function (p) { return code.startsWith(p); });
    return prefix ? REASONS.prefixes[prefix] : "why_other";
  }

  function describeReason(code) { return { label: t(reasonKey(code)), small: code }; }

  function ms(v) { return v >= 1000 ? (v / 1000).toFixed(2) + " s" : Math.round(v) + " ms"; }

  // Every day of the range, including the quiet ones (the audit log's days are UTC dates).
  function everyDay(perDay) {
    const known = Object.fromEntries(perDay.map(function (d) { return [d.day, d]; }));
    const out = [];
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    for (let i = DAYS - 1; i >= 0; i--) {
      const day = new Date(today - i * 86400000).toISOString().slice(0, 10);
      out.push(known[day] || { day: day, verifications: 0, succeeded: 0 });
    }
    return out;
  }

  function render() {
    $("stats-range").textContent = t("stats_days", { n: DAYS });
    if (!last) return;
    const s = last;
    $("tile-total").textContent = String(s.verifications);
    $("tile-rate").textContent = s.success_rate === null ? "–" : (Math.round(s.success_rate * 1000) / 10) + "%";
    $("tile-avg").textContent = s.average_total_ms === null ? "–" : ms(s.average_total_ms);
    const empty = t("stats_empty");
    window.Charts.dayBars($("chart-per-day"), everyDay(s.per_day), {
      title: t("stats_per_day"), succeeded: t("stats_succeeded"), failed: t("stats_failed"), empty: empty });
    window.Charts.ring($("chart-rate"), s.success_rate, { title: t("stats_success_rate"), empty: empty });
    // A verdict the audit keeps among the codes (liveness passed) is no reason for a failure.
    const reasons = Object.entries(s.failure_reasons).filter(function (e) { return !REASONS.hidden.includes(e[0]); });
    window.Charts.hbars($("chart-reasons"), reasons,
      { title: t("stats_failure_reasons"), empty: empty }, String, describeReason);
    const steps = Object.entries(s.average_ms_per_step).sort(function (a, b) { return b[1] - a[1]; });
    window.Charts.hbars($("chart-steps"), steps, { title: t("stats_step_times"), empty: empty }, ms);
  }

  async function load() {
    const ctrl = new AbortController();
    const timer = setTimeout(function () { ctrl.abort(); }, 15000);
    try {
      const resp = await fetch("/v1/stats?days=" + DAYS, { cache: "no-store", signal: ctrl.signal });
      if (!resp.ok) throw new Error("HTTP " + resp.status);
      last = await resp.json();
      $("stats-error").hidden = true;
      document.body.dataset.loaded = "true";
    } catch {
      $("stats-error").hidden = false;
      document.body.dataset.loaded = "error";
    } finally {
      clearTimeout(timer);
    }
    render();
  }

  $("stats-refresh").addEventListener("click", load);
  window.I18n.onChange(render);
  render();
  load();
})();
