// Fleet dashboard: asks for the operator key, fetches /v1/fleet/dashboard with it (Bearer),
// draws the charts as plain SVG bars and the tables; every table downloads as CSV.
"use strict";
(function () {
  const T = JSON.parse(document.getElementById("fleet-strings").textContent);
  const $ = (id) => document.getElementById(id);
  const COLUMNS = {
    per_day: ["day", "verifications", "succeeded", "success_rate"],
    per_hour: ["hour", "verifications", "succeeded", "success_rate"],
    failures: ["first_cause", "failures"],
    steps: ["step", "count", "median_ms", "p90_ms"],
    per_facility: ["facility", "kiosks", "verifications", "succeeded", "success_rate"],
    per_kiosk: ["kiosk_id", "facility", "verifications", "success_rate", "last_seen", "status"],
  };
  const HEAD = { success_rate: "rate", failures: "failures_n" };
  const CHART = { per_day: ["day", "verifications"], per_hour: ["hour", "verifications"],
                  failures: ["first_cause", "failures"] };

  function key() { return sessionStorage.getItem("fleet-operator-key") || ""; }
  function days() { return $("days").value || "30"; }
  function auth() { return { Authorization: "Bearer " + key() }; }
  function pct(v) { return v === null || v === undefined ? "–" : (v * 100).toFixed(1) + " %"; }

  function cell(row, col) {
    if (col === "success_rate") return pct(row[col]);
    if (col === "status") return row.silent ? T.silent : row.unhealthy ? T.unhealthy : T.ok;
    const v = row[col];
    return v === null || v === undefined ? "–" : String(v);
  }

  function table(name, rows) {
    const el = $("table-" + name);
    const cols = COLUMNS[name];
    const head = document.createElement("tr");
    for (const c of cols) {
      const th = document.createElement("th");
      th.textContent = T[HEAD[c] || c] || c;
      head.appendChild(th);
    }
    el.tHead.replaceChildren(head);
    const body = [];
    for (const row of rows) {
      const tr = document.createElement("tr");
      if (row.silent) tr.classList.add("silent");
      else if (row.unhealthy) tr.classList.add("unhealthy");
      for (const c of cols) {
        const td = document.createElement("td");
        td.textContent = cell(row, c);
        if (typeof row[c] === "number") td.className = "num";
        tr.appendChild(td);
      }
      body.push(tr);
    }
    el.tBodies[0].replaceChildren(...body);
  }

  // Time per step: two bars per step, the median and the p90 (ms), on one scale.
  function stepsChart(svg, rows) {
    const ns = "http://www.w3.org/2000/svg";
    const width = svg.clientWidth || 600, height = 180, top = 16, bottom = 18;
    const max = Math.max(1, ...rows.map((r) => r.p90_ms || 0));
    const w = rows.length ? width / rows.length : width;
    const parts = [];
    const legend = [["median", T.median], ["p90", T.p90]];
    legend.forEach(([cls, words], i) => {
      const box = document.createElementNS(ns, "rect");
      box.setAttribute("class", "legend " + cls);
      box.setAttribute("x", String(4 + i * 110));
      box.setAttribute("y", "2");
      box.setAttribute("width", "10");
      box.setAttribute("height", "10");
      const text = document.createElementNS(ns, "text");
      text.setAttribute("class", "legend");
      text.setAttribute("x", String(18 + i * 110));
      text.setAttribute("y", "11");
      text.textContent = words;
      parts.push(box, text);
    });
    rows.forEach((r, i) => {
      [["median", r.median_ms], ["p90", r.p90_ms]].forEach(([cls, ms], j) => {
        const h = ((height - top - bottom) * (ms || 0)) / max;
        const rect = document.createElementNS(ns, "rect");
        rect.setAttribute("class", "bar " + cls);
        rect.setAttribute("x", String(i * w + 2 + (j * (w - 4)) / 2));
        rect.setAttribute("y", String(height - bottom - h));
        rect.setAttribute("width", String(Math.max(1, (w - 4) / 2 - 1)));
        rect.setAttribute("height", String(h));
        const title = document.createElementNS(ns, "title");
        title.textContent = r.step + " " + (cls === "median" ? T.median : T.p90) + ": " +
          (ms === null || ms === undefined ? "–" : ms + " ms");
        rect.appendChild(title);
        parts.push(rect);
      });
      const label = document.createElementNS(ns, "text");
      label.setAttribute("x", String(i * w + 2));
      label.setAttribute("y", String(height - 4));
      label.textContent = String(r.step);
      parts.push(label);
    });
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.replaceChildren(...parts);
  }

  function chart(name, rows) {
    const svg = $("chart-" + name);
    if (!svg) return;
    if (name === "steps") { stepsChart(svg, rows); return; }
    const [label, value] = CHART[name];
    const ns = "http://www.w3.org/2000/svg";
    const width = svg.clientWidth || 600, height = 160, bottom = 18;
    const max = Math.max(1, ...rows.map((r) => r[value]));
    const w = rows.length ? width / rows.length : width;
    const parts = [];
    rows.forEach((r, i) => {
      const h = ((height - bottom) * r[value]) / max;
      const rect = document.createElementNS(ns, "rect");
      rect.setAttribute("x", String(i * w + 1));
      rect.setAttribute("y", String(height - bottom - h));
      rect.setAttribute("width", String(Math.max(1, w - 2)));
      rect.setAttribute("height", String(h));
      const title = document.createElementNS(ns, "title");
      title.textContent = r[label] + ": " + r[value];
      rect.appendChild(title);
      parts.push(rect);
      if (rows.length <= 31) {
        const text = document.createElementNS(ns, "text");
        text.setAttribute("x", String(i * w + 2));
        text.setAttribute("y", String(height - 4));
        text.textContent = String(r[label]).slice(-5);
        parts.push(text);
      }
    });
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.replaceChildren(...parts);
  }

  async function load() {
    if (!key()) { $("message").textContent = T.need_key; return; }
    const resp = await fetch("/v1/fleet/dashboard?days=" + encodeURIComponent(days()),
                             { headers: auth() });
    if (resp.status === 401 || resp.status === 403) { $("message").textContent = T.refused; return; }
    if (!resp.ok) { $("message").textContent = T.unavailable; return; }
    const data = await resp.json();
    $("message").textContent = "";
    $("total-verifications").textContent = String(data.verifications);
    $("total-rate").textContent = pct(data.success_rate);
    $("totals").hidden = false;
    $("reports").hidden = false;
    for (const name of Object.keys(COLUMNS)) {
      table(name, data[name]);
      chart(name, data[name]);
    }
    document.body.dataset.loaded = "yes";
  }

  async function downloadCsv(name) {
    const resp = await fetch("/v1/fleet/report/" + name + ".csv?days=" + encodeURIComponent(days()),
                             { headers: auth() });
    if (!resp.ok) { $("message").textContent = T.refused; return; }
    const url = URL.createObjectURL(await resp.blob());
    const a = document.createElement("a");
    a.href = url;
    a.download = "fleet-" + name + "-" + days() + "d.csv";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  $("controls").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const typed = $("operator-key").value;
    if (typed) sessionStorage.setItem("fleet-operator-key", typed);
    load();
  });
  for (const b of document.querySelectorAll("button.csv")) {
    b.addEventListener("click", () => downloadCsv(b.dataset.report));
  }
  if (key()) load();
})();
