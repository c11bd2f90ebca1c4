"""The card reader's transport for one read: the PC/SC reader, or the demo card.

Waits for a card up to ``card_timeout``. The virtual card (``reader =
"simulator"``) comes from ``edge.demo``, imported only in demo mode.
"""

from __future__ import annotations

from typing import Any

from edge.config import Config


def open_transport(config: Config, demo_photo: Any = None) -> Any:
    """``demo_photo``: demo mode's ``DemoPhoto``, whose picture (if one was taken) becomes the
    virtual card's chip photo."""
    if config.reader == "simulator":
        from edge.demo import demo_transport  # demo mode only: the card side

        photo = demo_photo.get() if demo_photo is not None else None
        return demo_transport(config.simulator_citizen, photo=photo)
    from cardreader.transport.pcsc import PcscTransport

    return PcscTransport.connect(config.reader, wait_s=config.card_timeout)
