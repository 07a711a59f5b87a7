"""Round 2, prepared while round 1 is in flight: warm connections and pre-signed probes.

A diagnosis makes two sequential rounds of Salesforce calls, and on the internet every
new HTTPS connection costs two more round trips (TCP, then TLS) before its request.
Most of round 2's hosts are known before the exchange answers: the other environment's
login host (a probe), the generic login host of a My Domain (a probe, and where the
identity URL points) and a second connection to the My Domain itself (verification
reads run in parallel). Opening those while the exchange is in flight, and signing the
probes' assertions meanwhile, leaves round 2 a single round trip. Only the org's own
My Domain, learnt from the exchange's answer, cannot be opened early.

Nothing here is waited for: a connection that is not ready yet is simply not used, and
a warm-up that fails is forgotten (the real call reports the failure). Every warm-up
goes through the run's :meth:`SalesforceClient.warm`, which refuses hosts off the
allowlist, holds the warm-up to the run's deadline and keeps the connection in the
run's own pool, where round 2 finds it; when the run ends, so do its warm-ups.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from checks.crypto.assertion import EXP_SECONDS, Claims, claims_for, sign
from checks.rules.causes import plan_probes
from checks.rules.errors import ErrorKind
from checks.salesforce.hosts import LOGIN, TEST, environment_of
from checks.salesforce.client import SalesforceClient

LOGIN_URL, TEST_URL = f"https://{LOGIN}", f"https://{TEST}"
# How long closing waits for a warm-up whose connection the run's end has just cut.
WARM_UP_GRACE = 0.5


def warm_targets(origin: str) -> list[str]:
    """Origins to open a connection to while round 1 (the exchange on ``origin``) is in flight.

    The exchange's own connection is reused by one round-2 call to ``origin``; a My Domain
    gets one more, for the verification reads that run beside it.
    """
    env = environment_of(origin)
    if env not in ("production", "sandbox"):
        return []  # an extra (test or private) origin: round 2 stays on it, nothing to guess
    generic = TEST_URL if env == "sandbox" else LOGIN_URL
    other = LOGIN_URL if generic == TEST_URL else TEST_URL
    if origin in (LOGIN_URL, TEST_URL):
        return [other]
    return [generic, other, origin]


def probe_audiences(origin: str) -> list[str]:
    """Every audience a probe may use after an exchange on ``origin``, whatever its answer."""
    return sorted({plan.audience for kind in ErrorKind for plan in plan_probes(origin, kind)})


class Prefetch:
    """Started before the exchange, closed when the diagnosis ends; see the module docstring."""

    def __init__(self, client: SalesforceClient, origin: str, key: RSAPrivateKey, claims: Claims) -> None:
        targets = warm_targets(origin)
        audiences = probe_audiences(origin)
        # Warm-ups go through the run's client: under its deadline, and cut when the run ends.
        # Daemon threads: even a transport that ignores the cut must not hold the CLI's exit.
        self._warmups = [threading.Thread(target=client.warm, args=(target,), name="warm-up", daemon=True)
                         for target in targets]
        for thread in self._warmups:
            thread.start()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="presign")
        # Keyed by the claims themselves: only an identical login may use a prepared signature.
        self._signed: dict[Claims, Future[str]] = {}
        for aud in audiences:
            probe = claims_for(claims.iss, claims.sub, aud, claims.exp - EXP_SECONDS)
            self._signed[probe] = self._pool.submit(sign, probe, key)

    def assertion(self, claims: Claims) -> str | None:
        """The pre-signed assertion for exactly these claims, or None (sign it yourself)."""
        future = self._signed.get(claims)
        if future is None:
            return None
        try:
            return future.result()
        except Exception:  # noqa: BLE001 - the caller signs again and meets the error itself
            return None

    def close(self) -> None:
        """Call once the run's client is closed: its warm-ups, cut, end at once; wait for them briefly."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        until = time.monotonic() + WARM_UP_GRACE
        for thread in self._warmups:
            thread.join(max(0.0, until - time.monotonic()))

