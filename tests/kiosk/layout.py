"""What a kiosk screen must satisfy at every size: fits, buttons in view, large text, big targets,
and no serious or critical axe-core violation (axe-core vendored in kiosk_ui/static/vendor)."""

from __future__ import annotations

from pathlib import Path

from tests.kiosk.a11y import settle

VENDOR = Path(__file__).resolve().parents[2] / "kiosk_ui" / "static" / "vendor"
AXE = VENDOR / "axe-core" / "axe.min.js"
SIZES = {
    "portrait-1080x1920": {"width": 1080, "height": 1920},
    "landscape-1280x800": {"width": 1280, "height": 800},
    "panel-800x480": {"width": 800, "height": 480},
}
MIN_TARGET = 64
MIN_TEXT_PORTRAIT = 26

MEASURE = """
() => {
  const doc = document.documentElement;
  const out = {scrollW: doc.scrollWidth, scrollH: doc.scrollHeight, w: innerWidth, h: innerHeight,
               texts: [], buttons: [], overflowing: []};
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("svg") || ["SCRIPT", "STYLE"].includes(el.tagName)) continue;
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    const r = el.getBoundingClientRect();
    if (!el.offsetParent || r.width === 0 || r.height === 0) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (own) out.texts.push({text: el.textContent.trim().slice(0, 40), size: size});
    if (r.right > innerWidth + 1 || r.left < -1) {
      out.overflowing.push({tag: el.tagName, id: el.id, left: r.left, right: r.right});
    }
  }
  for (const b of document.querySelectorAll("button")) {
    if (!b.offsetParent) continue;
    const r = b.getBoundingClientRect();
    out.buttons.push({text: b.textContent.trim().slice(0, 30), id: b.id, top: r.top,
                      bottom: r.bottom, w: r.width, h: r.height});
  }
  return out;
}
"""


def run_axe(page) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => { const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                       target: v.nodes[0] && v.nodes[0].target.join(' ')})); }"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def check_layout(page, size: str, where: str, artifacts: Path | None = None) -> dict:
    """Assert the screen fits the viewport at ``size``; returns the measurement."""
    settle(page)
    m = page.evaluate(MEASURE)
    label = f"{size} {where}"
    if artifacts is not None:
        page.screenshot(path=str(artifacts / f"layout-{size}-{where}.png"))
    assert m["scrollW"] <= m["w"], f"{label}: sideways overflow {m['scrollW']} > {m['w']}"
    assert not m["overflowing"], f"{label}: elements past the sides: {m['overflowing'][:5]}"
    assert m["scrollH"] <= m["h"] + 1, f"{label}: the page scrolls ({m['scrollH']} > {m['h']})"
    assert m["buttons"], f"{label}: no button on screen"
    outside = [b for b in m["buttons"] if b["top"] < 0 or b["bottom"] > m["h"] + 0.5]
    assert not outside, f"{label}: buttons out of view: {outside}"
    small = [b for b in m["buttons"] if b["w"] < MIN_TARGET or b["h"] < MIN_TARGET]
    assert not small, f"{label}: touch targets under {MIN_TARGET}px: {small}"
    if size.startswith("portrait"):
        tiny = [t for t in m["texts"] if t["size"] < MIN_TEXT_PORTRAIT]
        assert not tiny, f"{label}: text under {MIN_TEXT_PORTRAIT}px: {tiny[:5]}"
    serious = run_axe(page)
    assert not serious, f"{label}: axe-core serious/critical violations: {serious}"
    return m
