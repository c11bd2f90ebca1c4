/* Small SVG charts drawn by hand (no library): stacked day bars, a ring, horizontal bars.
   Every chart is plain SVG with <title> tooltips and text labels, so it reads without colour too. */
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const OK = "#0a6b2d", BAD = "#a4161a", BAR = "#0046ad", GRID = "#c9d2dc";

  function el(name, attrs, text) {
    const node = document.createElementNS(NS, name);
    Object.entries(attrs || {}).forEach(function ([k, v]) { node.setAttribute(k, String(v)); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(width, height, label) {
    return el("svg", { viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": label });
  }

  function empty(container, message) {
    container.textContent = "";
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = message;
    container.appendChild(p);
  }

  // Verifications per day: one stacked bar per day (succeeded below, failed above).
  function dayBars(container, days, labels) {
    if (!days.some(function (d) { return d.verifications > 0; })) return empty(container, labels.empty);
    // right: room for half of the last date label, which is centred on the last bar.
    const W = 640, H = 340, left = 56, right = 34, bottom = 70, top = 16;
    const max = Math.max.apply(null, days.map(function (d) { return d.verifications; }).concat([1]));
    const chart = svg(W, H, labels.title);
    const plotH = H - bottom - top, slot = (W - left - right) / days.length, bw = Math.max(4, Math.min(48, slot * 0.7));
    [0, 0.5, 1].forEach(function (f) {
      const y = top + plotH * (1 - f);
      chart.appendChild(el("line", { x1: left, x2: W - right, y1: y, y2: y, stroke: GRID }));
      chart.appendChild(el("text", { x: left - 8, y: y + 7, "text-anchor": "end", "font-size": 20 }, String(Math.round(max * f))));
    });
    days.forEach(function (d, i) {
      const x = left + i * slot + (slot - bw) / 2;
      const hOk = plotH * d.succeeded / max, hAll = plotH * d.verifications / max;
      const g = el("g", { class: "day", "data-day": d.day, "data-total": d.verifications, "data-succeeded": d.succeeded });
      g.appendChild(el("title", {}, (labels.dayLabel ? labels.dayLabel(d.day) : d.day) + ": " + d.succeeded + " / " + d.verifications));
      g.appendChild(el("rect", { x: x, y: top + plotH - hAll, width: bw, height: hAll - hOk, fill: BAD }));
      g.appendChild(el("rect", { x: x, y: top + plotH - hOk, width: bw, height: hOk, fill: OK }));
      if (days.length <= 10 || (days.length - 1 - i) % Math.ceil(days.length / 6) === 0) {
        g.appendChild(el("text", { x: x + bw / 2, y: H - bottom + 24, "text-anchor": "middle", "font-size": 19 }, labels.dayLabel ? labels.dayLabel(d.day) : d.day.slice(5)));
      }
      chart.appendChild(g);
    });
    const legend = el("g", {});
    legend.appendChild(el("rect", { x: left, y: H - 20, width: 18, height: 18, fill: OK }));
    legend.appendChild(el("text", { x: left + 26, y: H - 4, "font-size": 20 }, labels.succeeded));
    legend.appendChild(el("rect", { x: left + 250, y: H - 20, width: 18, height: 18, fill: BAD }));
    legend.appendChild(el("text", { x: left + 276, y: H - 4, "font-size": 20 }, labels.failed));
    chart.appendChild(legend);
    container.textContent = "";
    container.appendChild(chart);
  }

  // Success rate as a ring with the percentage in the middle.
  function ring(container, rate, labels) {
    if (rate === null || rate === undefined) return empty(container, labels.empty);
    const W = 640, H = 340, cx = 320, cy = 170, r = 125, c = 2 * Math.PI * r;
    const chart = svg(W, H, labels.title + ": " + Math.round(rate * 100) + "%");
    chart.appendChild(el("circle", { cx: cx, cy: cy, r: r, fill: "none", stroke: BAD, "stroke-width": 40 }));
    chart.appendChild(el("circle", { cx: cx, cy: cy, r: r, fill: "none", stroke: OK, "stroke-width": 40,
      "stroke-dasharray": (c * rate) + " " + c, transform: "rotate(-90 " + cx + " " + cy + ")", class: "ring-ok" }));
    chart.appendChild(el("text", { x: cx, y: cy + 16, "text-anchor": "middle", "font-size": 46, "font-weight": 700 },
      (Math.round(rate * 1000) / 10) + "%"));
    container.textContent = "";
    container.appendChild(chart);
  }

  // Labelled horizontal bars, largest first (failure reasons, milliseconds per step).
  // describe(name) -> {label, small}: plain words for the label, the raw name in small text below.
  function hbars(container, entries, labels, format, describe) {
    if (!entries.length) return empty(container, labels.empty);
    const rowH = describe ? 54 : 38, W = 640, labelW = 300, H = entries.length * rowH + 8;
    const max = Math.max.apply(null, entries.map(function (e) { return e[1]; }).concat([1e-9]));
    const chart = svg(W, H, labels.title);
    entries.forEach(function ([name, value], i) {
      const y = 4 + i * rowH, w = (W - labelW - 90) * value / max;
      const text = describe ? describe(name) : { label: name, small: null };
      const g = el("g", { class: "bar", "data-name": name, "data-value": value });
      g.appendChild(el("title", {}, text.label + (text.small ? " (" + text.small + ")" : "") + ": " + format(value)));
      g.appendChild(el("text", { x: labelW - 8, y: y + 25, "text-anchor": "end", "font-size": 20, class: "bar-label" }, text.label));
      if (text.small) {
        g.appendChild(el("text", { x: labelW - 8, y: y + 45, "text-anchor": "end", "font-size": 14, class: "bar-code" }, text.small));
      }
      g.appendChild(el("rect", { x: labelW, y: y + 4, width: Math.max(w, 2), height: 28, fill: BAR }));
      g.appendChild(el("text", { x: labelW + Math.max(w, 2) + 8, y: y + 25, "font-size": 20 }, format(value)));
      chart.appendChild(g);
    });
    container.textContent = "";
    container.appendChild(chart);
  }

  window.Charts = { dayBars: dayBars, ring: ring, hbars: hbars };
})();
