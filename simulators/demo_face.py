"""A real, detectable face for the demo card's chip photo, never stored in this repository.

The drawn synthetic portraits (``simulators.portrait``) contain no face a face
detector finds, so a demo with face matching could never succeed. The demo card
therefore carries a public-domain photograph that ships inside an installed
package and is read from there at run time:

- ``grace_hopper.jpg`` in matplotlib's wheel (``matplotlib/mpl-data/sample_data/``):
  Commodore Grace M. Hopper, an official U.S. Navy photograph (1984), in the
  public domain as a work of the U.S. federal government. matplotlib is pinned in
  the ``demo`` and ``test`` extras; the file is located without importing matplotlib.

Without matplotlib installed, ``demo_photo()`` returns None and the drawn portrait
is used, as before.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

DEMO_PHOTO_PACKAGE = "matplotlib"
DEMO_PHOTO_PATH = ("mpl-data", "sample_data", "grace_hopper.jpg")


def demo_photo_path() -> Path | None:
    """Where the public-domain demo portrait is installed, or None."""
    try:
        spec = importlib.util.find_spec(DEMO_PHOTO_PACKAGE)
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder).joinpath(*DEMO_PHOTO_PATH)
        if candidate.is_file():
            return candidate
    return None


@lru_cache(maxsize=1)
def demo_photo() -> bytes | None:
    """The demo portrait's bytes (a public-domain photo, not personal data), or None."""
    path = demo_photo_path()
    return path.read_bytes() if path else None
