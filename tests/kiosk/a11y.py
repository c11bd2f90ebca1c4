"""Measure large type, WCAG AA contrast and big touch targets in a rendered page."""

from __future__ import annotations

# For every visible element that holds text of its own: font size, and the WCAG 2.x contrast ratio
# of its colour against the first opaque background behind it.
MEASURE = """
() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = c => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("svg") || ["SCRIPT", "STYLE"].includes(el.tagName)) continue;
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (!own || !el.offsetParent || box.width === 0) continue;
    const st = getComputedStyle(el);
    const [l1, l2] = [lum(rgb(st.color)), lum(background(el))].sort((a, b) => b - a);
    out.push({text: el.textContent.trim().slice(0, 40), size: parseFloat(st.fontSize),
              contrast: (l1 + 0.05) / (l2 + 0.05)});
  }
  const buttons = Array.from(document.querySelectorAll("button")).filter(b => b.offsetParent)
    .map(b => {
      const r = b.getBoundingClientRect();
      return {text: b.textContent.trim(), w: r.width, h: r.height};
    });
  return {texts: out, buttons: buttons};
}
"""


# Measured only once the page has settled: the screen says it is filled in (kiosk.js sets
# body[data-settled] to "false" while, e.g., the result's photos and countdown are still coming),
# the fonts are loaded, no CSS transition or animation is running, and two frames have been laid
# out since. Without this a measurement could catch a screen mid-change.
SETTLED = """
() => document.body.dataset.settled !== "false" &&
      document.fonts.status === "loaded" &&
      document.getAnimations().every(a => a.playState !== "running")
"""
TWO_FRAMES = (
    "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
)


def settle(page, timeout: float = 15000):
    page.wait_for_function(SETTLED, timeout=timeout)
    page.evaluate(TWO_FRAMES)
    page.wait_for_function(SETTLED, timeout=timeout)


def check_screen(page, where: str):
    settle(page)
    measured = page.evaluate(MEASURE)
    assert measured["texts"], where
    small = [t for t in measured["texts"] if t["size"] < 24]
    assert not small, f"{where}: text under 24px: {small}"
    faint = [t for t in measured["texts"] if t["contrast"] < 4.5]
    assert not faint, f"{where}: contrast under 4.5:1: {faint}"
    tiny = [b for b in measured["buttons"] if b["w"] < 72 or b["h"] < 72]
    assert measured["buttons"] and not tiny, f"{where}: touch targets under 72px: {tiny}"


def assert_on_screen(page, selector: str, where: str):
    """The element is wholly inside the viewport: a kiosk user does not scroll."""
    box = page.evaluate(
        """sel => { const r = document.querySelector(sel).getBoundingClientRect();
        return {top: r.top, bottom: r.bottom, height: innerHeight, visible: r.height > 0}; }""",
        selector,
    )
    assert box["visible"] and box["top"] >= 0 and box["bottom"] <= box["height"], (
        f"{where}: {selector} {box}"
    )
