"""A faithful stand-in for Salesforce's JWT token endpoint and the calls made after login.

Build orgs from :class:`Org`, :class:`SimUser` and :class:`ConnectedApp`, add them
to a :class:`Simulator`, then talk to it through ``SimTransport(sim)`` (in-process)
or ``SimServer(sim)`` plus :class:`LoopbackTransport` (real loopback HTTP).
"""

from checks.simulator.core import DNS_FAILURE, NETWORK_DOWN, OUTAGE_MODES, Session, Simulator, Unreachable
from checks.simulator.server import SimServer
from checks.simulator.token import JWT_GRANT, accepted_audiences
from checks.simulator.transport import FAULT_HEADER, LoopbackTransport, SimTransport
from checks.simulator.world import LOGIN_HOST, LOGIN_URL, TEST_HOST, TEST_URL, ConnectedApp, Org, SimUser

__all__ = [
    "DNS_FAILURE",
    "FAULT_HEADER",
    "JWT_GRANT",
    "LOGIN_HOST",
    "LOGIN_URL",
    "NETWORK_DOWN",
    "OUTAGE_MODES",
    "TEST_HOST",
    "TEST_URL",
    "ConnectedApp",
    "LoopbackTransport",
    "Org",
    "Session",
    "SimServer",
    "SimTransport",
    "SimUser",
    "Simulator",
    "Unreachable",
    "accepted_audiences",
]
