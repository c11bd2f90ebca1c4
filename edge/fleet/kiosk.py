"""The hook into the kiosk service: with ``CCCD_EDGE_FLEET_URL`` set, ship audit events.

``attach_fleet(service)`` makes the outbox (beside the audit log), registers it as the audit
log's listener and starts the shipper. Without the variable it does nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Any

from edge.fleet.outbox import Outbox
from edge.fleet.shipper import FleetShipper, KioskFleetSettings


def software_version() -> str:
    try:
        return metadata.version("cccd-edge")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def attach_fleet(service: Any, env: Mapping[str, str] | None = None) -> FleetShipper | None:
    settings = KioskFleetSettings.from_env(os.environ if env is None else env)
    if settings is None:
        return None
    config = service.config
    instance = Path(config.instance_path)
    audit_path = config.audit_path
    outbox_path = (
        Path(audit_path).with_name("fleet-outbox.sqlite")
        if audit_path != ":memory:"
        else instance / "fleet-outbox.sqlite"
    )
    outbox = Outbox(outbox_path, max_events=settings.outbox_max, clock=service.clock)
    trust_target = Path(config.trust_store) if config.trust_store else instance / "trust.sqlite"

    def health() -> dict[str, Any]:
        reader = service.health().get("reader", {})
        return {"software_version": software_version(), "reader": reader}

    def on_bundle(path: Path) -> None:
        service.config = replace(service.config, trust_store=str(path))
        service.components.use_trust_store(str(path))

    shipper = FleetShipper(
        settings,
        kiosk_id=config.kiosk_id,
        key=service.key,
        outbox=outbox,
        state_path=instance / "fleet-state.json",
        trust_target=trust_target,
        health=health,
        on_bundle=on_bundle,
        clock=service.clock,
    )
    service.audit.listeners.append(outbox.enqueue)
    service.fleet = shipper
    close = service.close

    def close_with_fleet() -> None:
        shipper.stop()
        close()
        outbox.close()

    service.close = close_with_fleet
    return shipper.start()
