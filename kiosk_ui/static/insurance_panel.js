/* The BHYT (health-insurance) panel of the result screen.
   One entry point: InsurancePanel.render(insurance, sessionId) after a verification, and
   InsurancePanel.clear() on reset. `insurance` is the kiosk view's object (kiosk_ui/insurance_view.py):
   status, reason, message, valid_to, first_contact_facility, wrong_fields, correction. */
"use strict";
(function () {
  const FIELD = {
    full_name: { vi: "họ tên", en: "full name" },
    birth_date: { vi: "ngày sinh", en: "birth date" },
    sex: { vi: "giới tính", en: "sex" },
    residence: { vi: "địa chỉ", en: "address" },
  };
  const TEXT = {
    title: { vi: "Bảo hiểm y tế (BHYT)", en: "Health insurance (BHYT)" },
    valid: {
      vi: "Thẻ BHYT còn hạn đến {date} — nơi đăng ký KCB ban đầu: {facility}",
      en: "Health-insurance card valid until {date} — registered first-contact facility: {facility}",
    },
    mismatch: {
      vi: "Thông tin BHYT của bạn ghi sai {fields}; hãy mang phiếu này đến cơ quan BHXH.",
      en: "Your insurance record has the wrong {fields}; take this form to the social-insurance office.",
    },
    unavailable: {
      vi: "Chưa kiểm tra được BHYT, nhân viên sẽ kiểm tra giúp.",
      en: "The insurance could not be checked; staff will check it for you.",
    },
    not_checked: {
      vi: "Chưa tra cứu BHYT vì thẻ CCCD chưa được xác thực.",
      en: "The insurance was not looked up: the ID card was not verified.",
    },
    print: { vi: "In phiếu đề nghị điều chỉnh", en: "Print the correction request" },
    unknown_facility: { vi: "(chưa rõ)", en: "(not known)" },
  };
  const AND = { vi: " và ", en: " and " };
  let frame = null;

  function lang() { return window.I18n && window.I18n.lang === "en" ? "en" : "vi"; }
  function other(l) { return l === "vi" ? "en" : "vi"; }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, k) { return values[k] == null ? "" : String(values[k]); });
  }
  function vnDate(iso) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    return m ? m[3] + "/" + m[2] + "/" + m[1] : "";
  }

  function sentence(ins, l) {
    if (ins.status === "eligible") {
      const f = ins.first_contact_facility || {};
      const facility = f.name ? f.name + (f.code ? " (" + f.code + ")" : "") : (f.code || TEXT.unknown_facility[l]);
      const extra = ins.reason === "card_valid" || !ins.message ? "" : " " + ins.message[l];
      return fill(TEXT.valid[l], { date: vnDate(ins.valid_to), facility: facility }) + extra;
    }
    if (ins.status === "record_mismatch") {
      const names = (ins.wrong_fields || []).map(function (w) { return (FIELD[w.field] || {})[l]; })
        .filter(Boolean);
      if (!names.length) return ins.message ? ins.message[l] : "";
      return fill(TEXT.mismatch[l], { fields: names.join(AND[l]) });
    }
    if (ins.status === "unavailable") return TEXT.unavailable[l];
    if (ins.status === "not_checked") return TEXT.not_checked[l];
    return ins.message ? ins.message[l] : "";        // not_eligible: the reason and what to do
  }

  function panel() {
    let el = document.getElementById("insurance-panel");
    if (!el) {
      // A screen without the result page's own container: the panel goes above the countdown.
      el = document.createElement("section");
      el.id = "insurance-panel";
      el.hidden = true;
      const anchor = document.getElementById("reset-countdown");
      anchor.parentNode.insertBefore(el, anchor);
    }
    el.classList.add("insurance-panel");
    el.setAttribute("role", "status");
    return el;
  }

  function printCorrection(url) {
    // The page is served to this kiosk only (its cookie); printed from a hidden frame.
    if (frame) frame.remove();
    frame = document.createElement("iframe");
    frame.className = "insurance-print-frame";
    frame.title = TEXT.print[lang()];
    frame.addEventListener("load", function () {
      try { frame.contentWindow.print(); } catch { /* no printer: the page stays available */ }
    });
    frame.src = url;
    document.body.appendChild(frame);
  }

  function render(ins) {
    const el = panel();
    el.replaceChildren();
    if (!ins) { el.hidden = true; delete el.dataset.status; return; }
    const l = lang();
    el.dataset.status = ins.status;
    el.dataset.reason = ins.reason || "";
    const h = document.createElement("h3");
    h.textContent = TEXT.title[l];
    const p1 = document.createElement("p");
    p1.className = "insurance-primary";
    p1.textContent = sentence(ins, l);
    const p2 = document.createElement("p");
    p2.className = "insurance-secondary";
    p2.lang = other(l);
    p2.textContent = sentence(ins, other(l));
    el.append(h, p1, p2);
    if (ins.correction) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-secondary insurance-print";
      b.textContent = TEXT.print[l];
      b.addEventListener("click", function () { printCorrection(ins.correction); });
      el.append(b);
    }
    el.hidden = false;
  }

  function clear() {
    const el = document.getElementById("insurance-panel");
    if (el) { el.replaceChildren(); el.hidden = true; delete el.dataset.status; }
    if (frame) { frame.remove(); frame = null; }
  }

  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = (document.currentScript && document.currentScript.src || "").replace(/insurance_panel\.js.*$/, "insurance_panel.css");
  document.head.appendChild(css);
  window.InsurancePanel = { render: render, clear: clear };
})();
