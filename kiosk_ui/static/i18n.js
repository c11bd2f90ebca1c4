/* Language switch shared by the kiosk and the statistics page.
   The server renders Vietnamese (or ?lang=en); this swaps every [data-i18n] element in place,
   so nothing typed or shown is lost when the person changes language. */
"use strict";
(function () {
  const STRINGS = JSON.parse(document.getElementById("i18n-strings").textContent);
  const listeners = [];
  let lang = document.documentElement.lang === "en" ? "en" : "vi";

  function t(key, values) {
    const entry = STRINGS[key];
    let out = entry ? (entry[lang] || entry.vi) : key;
    if (values) {
      for (const [name, value] of Object.entries(values)) out = out.split("{" + name + "}").join(String(value));
    }
    return out;
  }

  function other() { return lang === "vi" ? "en" : "vi"; }

  function tIn(language, key, values) {
    const saved = lang;
    lang = language;
    try { return t(key, values); } finally { lang = saved; }
  }

  function apply(root) {
    (root || document).querySelectorAll("[data-i18n]").forEach(function (el) {
      // data-i18n-n: the number a sentence carries ("about {n} pictures").
      el.textContent = t(el.dataset.i18n, el.dataset.i18nN ? { n: el.dataset.i18nN } : undefined);
    });
  }

  function set(language) {
    lang = language === "en" ? "en" : "vi";
    document.documentElement.lang = lang;
    apply();
    listeners.forEach(function (fn) { fn(lang); });
  }

  document.getElementById("lang-switch").addEventListener("click", function () { set(other()); });
  window.I18n = {
    t: t, tIn: tIn, apply: apply, set: set, other: other,
    has: function (key) { return Object.prototype.hasOwnProperty.call(STRINGS, key); },
    get lang() { return lang; },
    onChange: function (fn) { listeners.push(fn); },
  };
})();
