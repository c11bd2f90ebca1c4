"""Many kiosks, one province: the fleet service and the kiosk's side of it.

Server side (``cccd-edge fleet serve``): ``app`` (Flask), ``store`` (PostgreSQL or, for a
one-machine demo, SQLite), ``db`` (connections and migrations), ``trustbundle`` (signed
trust lists). Kiosk side (with ``CCCD_EDGE_FLEET_URL``): ``outbox`` (local SQLite queue of
audit events), ``shipper`` (enrolment, batches, heartbeat, bundle pull), ``kiosk`` (the hook
into the kiosk service). ``protocol`` holds what both sides must agree on.
"""
