"""A stand-in for the social-insurance (BHYT) gateway: the token and card-check calls over HTTP.

Same contract as ``../shared/docs/bhyt-gateway.md`` describes, synthetic records for the
synthetic citizens (``simulators.citizens``), and a switch (``mode``) for every case of the
result-code table plus the faults a client must survive (slow, stalled, not JSON, huge ...).
Written on its own: it imports nothing from ``cardreader``, ``crypto`` or ``edge``.
"""

from simulators.bhyt_gateway.records import MODES, InsuranceRecord, records_for_citizens
from simulators.bhyt_gateway.server import GatewaySimulator

__all__ = ["MODES", "GatewaySimulator", "InsuranceRecord", "records_for_citizens"]
