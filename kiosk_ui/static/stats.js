/* The operators' statistics page: /stats/data (one outcome per verification, first real causes,
   per hour, insurance) and /v1/stats (time per step), drawn as charts; each chart's table can be
   downloaded as CSV. Labels in Vietnamese and English; numbers and dates in the page's language. */
"use strict";
(function () {
  const t = window.I18n.t;
  const $ = function (id) { return document.getElementById(id); };
  const params = new URLSearchParams(location.search);
  const PERIOD_DAYS = { today: 1, 7: 7, 30: 30 };
  // ?days=N (older links) still works; N outside the periods is passed on and refused by the API.
  let period = params.get("period") || ({ 1: "today", 7: "7", 30: "30" })[params.get("days")] || "30";
  let days = params.get("days") && !params.get("period") ? Number(params.get("days")) : PERIOD_DAYS[period] || 30;
  let last = null, steps = null;
  const tables = {};

  function ms(v) { return v >= 1000 ? window.Say.number(v / 1000, 2) + " s" : window.Say.number(Math.round(v)) + " ms"; }
  function count(v) { return window.Say.number(v); }
  function label(key) { return { label: t(key), small: null }; }
  // A step of the audit's timings in plain words (an unknown one keeps its name).
  function stepLabel(name) {
    const key = "step_time_" + name.replace(/\./g, "_");
    return { label: window.I18n.has(key) ? t(key) : name, small: null };
  }

  // Every day of the period, quiet ones included (local dates, as the service counted them).
  function everyDay(perDay, since) {
    const known = Object.fromEntries(perDay.map(function (d) { return [d.day, d]; }));
    const out = [];
    const start = new Date(since + "T00:00:00Z");
    for (let i = 0; i < (PERIOD_DAYS[period] || 30); i++) {
      const day = new Date(start.getTime() + i * 86400000).toISOString().slice(0, 10);
      const d = known[day] || { verified: 0, failed: 0 };
      out.push({ day: day, verifications: d.verified + d.failed, succeeded: d.verified });
    }
    return out;
  }

  function setTable(id, header, rows) { tables[id] = { header: header, rows: rows }; }

  function render() {
    document.querySelectorAll("[data-period]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.period === period)); });
    $("stats-range").textContent = last ? window.Say.date(last.since) + " – " + window.Say.date(new Date()) : "";
    if (!last) return;
    const s = last, empty = t("stats_empty");
    $("tile-total").textContent = count(s.verifications);
    $("tile-rate").textContent = s.success_rate === null ? "–" : window.Say.number(s.success_rate * 100, 1) + "%";
    $("tile-abandoned").textContent = count(s.outcomes.abandoned);
    $("tile-avg").textContent = steps && steps.average_total_ms !== null ? ms(steps.average_total_ms) : "–";
    const daysDrawn = everyDay(s.per_day, s.since);
    window.Charts.dayBars($("chart-per-day"), daysDrawn, {
      title: t("stats_per_day"), succeeded: t("outcome_verified"), failed: t("outcome_failed"), empty: empty,
      dayLabel: function (day) { return window.Say.date(day).slice(0, 5); } });
    setTable("per-day", ["day", "verified", "failed", "abandoned"], s.per_day.map(function (d) {
      return [d.day, d.verified, d.failed, d.abandoned]; }));
    const outcomes = Object.entries(s.outcomes).filter(function (e) { return e[1] > 0; });
    window.Charts.hbars($("chart-outcomes"), outcomes, { title: t("stats_outcomes"), empty: empty }, count,
      function (name) { return label("outcome_" + name); });
    setTable("outcomes", ["outcome", "label", "count"], Object.entries(s.outcomes).map(function (e) {
      return [e[0], t("outcome_" + e[0]), e[1]]; }));
    const causes = Object.entries(s.first_causes);
    window.Charts.hbars($("chart-causes"), causes, { title: t("stats_first_cause"), empty: empty }, count, label);
    setTable("causes", ["cause", "label", "count"], causes.map(function (e) { return [e[0], t(e[0]), e[1]]; }));
    const hours = s.per_hour.filter(function (h) { return h.verified + h.failed + h.abandoned > 0; })
      .map(function (h) { return [String(h.hour).padStart(2, "0") + ":00", h.verified + h.failed + h.abandoned]; });
    window.Charts.hbars($("chart-per-hour"), hours, { title: t("stats_per_hour"), empty: empty }, count);
    setTable("per-hour", ["hour", "verified", "failed", "abandoned"], s.per_hour.map(function (h) {
      return [h.hour, h.verified, h.failed, h.abandoned]; }));
    const insurance = Object.entries(s.insurance).filter(function (e) { return e[1] > 0; });
    window.Charts.hbars($("chart-insurance"), insurance, { title: t("stats_insurance"), empty: empty }, count,
      function (name) { return label("insurance_" + name); });
    setTable("insurance", ["status", "label", "count"], Object.entries(s.insurance).map(function (e) {
      return [e[0], t("insurance_" + e[0]), e[1]]; }));
    const kiosks = s.per_kiosk.map(function (k) { return [k.kiosk, k.verified + k.failed + k.abandoned]; });
    window.Charts.hbars($("chart-per-kiosk"), kiosks, { title: t("stats_per_kiosk"), empty: empty }, count);
    setTable("per-kiosk", ["kiosk", "verified", "failed", "abandoned"], s.per_kiosk.map(function (k) {
      return [k.kiosk, k.verified, k.failed, k.abandoned]; }));
    const stepRows = steps ? Object.entries(steps.average_ms_per_step).sort(function (a, b) { return b[1] - a[1]; }) : [];
    window.Charts.hbars($("chart-steps"), stepRows, { title: t("stats_step_times"), empty: empty }, ms, stepLabel);
    setTable("steps", ["step", "average_ms"], stepRows);
  }

  // RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled.
  function csv(table) {
    const cell = function (v) { const s = String(v); return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s; };
    return [table.header].concat(table.rows).map(function (r) { return r.map(cell).join(","); }).join("\r\n") + "\r\n";
  }

  function download(id) {
    const table = tables[id];
    if (!table) return;
    const url = URL.createObjectURL(new Blob(["\ufeff" + csv(table)], { type: "text/csv;charset=utf-8" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "cccd-stats-" + id + "-" + period + ".csv";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  async function getJson(url) {
    const ctrl = new AbortController();
    const timer = setTimeout(function () { ctrl.abort(); }, 15000);
    try {
      const resp = await fetch(url, { cache: "no-store", signal: ctrl.signal });
      if (!resp.ok) throw new Error("HTTP " + resp.status);
      return await resp.json();
    } finally { clearTimeout(timer); }
  }

  async function load() {
    const tz = -new Date().getTimezoneOffset();
    try {
      const both = await Promise.all([
        getJson("/stats/data?period=" + encodeURIComponent(period) + "&tz=" + tz),
        getJson("/v1/stats?days=" + days)]);
      last = both[0];
      steps = both[1];
      $("stats-error").hidden = true;
      document.body.dataset.loaded = "true";
    } catch {
      $("stats-error").hidden = false;
      document.body.dataset.loaded = "error";
    }
    render();
  }

  document.querySelectorAll("[data-period]").forEach(function (b) {
    b.addEventListener("click", function () {
      period = b.dataset.period;
      days = PERIOD_DAYS[period];
      document.body.dataset.loaded = "false";
      load();
    });
  });
  document.querySelectorAll("button.csv").forEach(function (b) {
    b.addEventListener("click", function () { download(b.dataset.chart); }); });
  $("stats-refresh").addEventListener("click", load);
  window.I18n.onChange(render);
  render();
  load();
})();
