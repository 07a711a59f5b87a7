"""HTTP calls to Salesforce: the JWT bearer exchange and the three verification reads.

Every URL passes the :class:`~checks.salesforce.hosts.Allowlist` before any I/O, redirects
included. Failures come back as values (:class:`TokenReply`, :class:`ApiReply`),
never as exceptions, so the engine can reason about them. The access token lives
only inside :class:`AccessToken`, whose ``repr`` hides it.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

import httpx

from checks.salesforce.answers import MAX_BODY_SHOWN, describe_transport_error, parse_date, short_body, xml_escape
from checks.salesforce.deadline import Deadline, DeadlineExceeded
from checks.salesforce.hosts import Allowlist, UnsafeURL
from checks.model import TokenError
from checks.salesforce.runpool import Pools, RunPool, TransportFactory

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
API_VERSION = "62.0"
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
MAX_REDIRECTS = 3
# Salesforce's largest answer here (describeMetadata) is tens of kB; a login page a few hundred. Counted after
# decoding, so a small gzip body that inflates to gigabytes is stopped at this size, not after it.
MAX_ANSWER_BYTES = 2 * 1024 * 1024
TOO_LARGE = "TOO_LARGE"
USER_AGENT = "aprity-diagnose/0.1"


class AnswerTooLarge(Exception):
    """Salesforce's answer grew past :data:`MAX_ANSWER_BYTES` once decoded: reading stopped there."""

    def __init__(self, status: int, limit: int) -> None:
        super().__init__(f"Salesforce answered something too large (HTTP {status}, more than "
                         f"{limit // (1024 * 1024) or 1} MB once decoded); the answer was not read")
        self.status = status


@dataclass(frozen=True, repr=False)
class AccessToken:
    """An access token, kept out of every repr, log line and message."""

    value: str

    def __repr__(self) -> str:
        return "AccessToken(***)"

    __str__ = __repr__


@dataclass(frozen=True)
class TokenReply:
    """What the token endpoint said: a token, or Salesforce's error verbatim."""

    url: str
    status: int | None
    error: TokenError | None = None
    token: AccessToken | None = field(default=None, repr=False)
    scope: tuple[str, ...] = ()
    instance_url: str | None = None
    identity_url: str | None = None
    server_date: datetime | None = None
    dns_failure: bool = False
    # No complete answer in time (read timeout, the run's deadline): Salesforce may have been reached.
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.token is not None


@dataclass(frozen=True)
class ApiReply:
    """A verification read: JSON/XML data on success, an error code and message otherwise."""

    ok: bool
    status: int | None
    data: dict[str, Any] = field(default_factory=dict)
    code: str | None = None
    message: str | None = None


def _unreachable(url: str, text: str, status: int | None = None, dns: bool = False, slow: bool = False) -> TokenReply:
    return TokenReply(url, status, TokenError(status, "unreachable", text), dns_failure=dns, timed_out=slow)


def _timed_out(exc: Exception) -> bool:  # a connect timeout is not one: nothing took the connection
    return isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout)


class SalesforceClient:
    """Talks to Salesforce over httpx; transport and timeouts are injectable for tests."""

    def __init__(
        self,
        allowlist: Allowlist,
        *,
        transport: httpx.BaseTransport | None = None,
        transport_factory: TransportFactory | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.allowlist = allowlist
        self._timeout = timeout
        self.max_answer_bytes = max_answer_bytes
        self._pools = Pools(transport=transport, transport_factory=transport_factory, timeout=timeout,
                            headers={"User-Agent": USER_AGENT})
        # Calls made outside a run (no overall limit) use the client's own pool.
        self._run = RunPool(self._pools, Deadline(None))
        self._owner = True

    @property
    def deadline(self) -> Deadline:
        return self._run.deadline

    def close(self) -> None:
        """A run's view closes the run's connections; the client itself also its shared transport."""
        self._run.close()
        if self._owner:
            self._pools.close()

    def __enter__(self) -> "SalesforceClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def bounded(self, deadline: Deadline) -> "SalesforceClient":
        """A view of this client for one run: its own connection pool, every call held to ``deadline``.

        Every connection the run uses is opened inside it, so the deadline can cut them all
        (warm-ups and kept-alive ones included). Close the view when the run ends.
        """
        view = copy.copy(self)
        view._run = RunPool(self._pools, deadline)
        view._owner = False
        return view

    def _fetch(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request under the run's deadline: phase timeouts capped, the body read in chunks
        against the clock, and the run's cutoff watching its connection from the moment it opens."""
        run = self._run
        deadline, cutoff = run.deadline, run.cutoff
        http = run.http()
        request = http.build_request(method, url, timeout=deadline.cap(self._timeout),
                                     extensions={"trace": cutoff.trace}, **kwargs)
        try:
            response = http.send(request, stream=True)
        except httpx.HTTPError:
            if cutoff.fired or deadline.expired:  # the budget, not one phase's timeout, ran out
                raise DeadlineExceeded(deadline.message) from None
            raise
        except RuntimeError:
            if http.is_closed:  # the run ended between lending its client and this send (a late warm-up)
                raise httpx.TransportError("this run has ended; its connections are closed") from None
            raise
        if response.is_stream_consumed:  # an in-memory transport already read (and decoded) the whole body
            if len(response.content) > self.max_answer_bytes:
                raise AnswerTooLarge(response.status_code, self.max_answer_bytes)
            return response
        cutoff.track(response)
        chunks: list[bytes] = []
        size = 0
        try:
            # iter_bytes decodes (gzip, deflate, br…) as it reads: the cap counts what the answer becomes
            # in memory, so a small compressed body cannot inflate past it.
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_answer_bytes:
                    raise AnswerTooLarge(response.status_code, self.max_answer_bytes)
                chunks.append(chunk)
                if deadline.expired:
                    raise DeadlineExceeded(deadline.message)
        except (httpx.HTTPError, httpx.StreamError):
            if cutoff.fired or deadline.expired:
                raise DeadlineExceeded(deadline.message) from None
            raise
        finally:
            cutoff.untrack(response)
            response.close()
        if cutoff.fired:  # the body ended because the cutoff cut it
            raise DeadlineExceeded(deadline.message)
        if cutoff.closed:  # the run ended under a warm-up: what arrived may be a stump
            raise httpx.ReadError("the run ended before this answer did", request=request)
        # Already decoded: the encoding headers go, or httpx would decode the body a second time.
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length")]
        return httpx.Response(response.status_code, headers=headers, content=b"".join(chunks), request=request)

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send, following at most a few redirects, each checked against the allowlist.

        Raises :class:`DeadlineExceeded` when the run's budget is gone, before or during a call.
        """
        for _ in range(MAX_REDIRECTS + 1):
            self.allowlist.check(url)
            self.deadline.check()
            try:
                # httpx builds the next request even with follow_redirects=False, so a
                # Location such as "javascript:x" raises InvalidURL (not an HTTPError) here.
                response = self._fetch(method, url, **kwargs)
                if response.status_code not in (301, 302, 303, 307, 308):
                    return response
                target = str(response.url.join(response.headers.get("location", "")))
            except httpx.InvalidURL as exc:
                raise UnsafeURL(f"Salesforce redirected to an unusable URL: {exc}") from None
            try:
                self.allowlist.check(target)
            except UnsafeURL as exc:
                raise UnsafeURL(f"Salesforce redirected off the allowlist: {exc}") from None
            url = target
            if response.status_code == 303:
                method, kwargs = "GET", {k: v for k, v in kwargs.items() if k == "headers"}
        raise UnsafeURL("too many redirects")

    def warm(self, origin: str) -> bool:
        """Open a keep-alive connection to an allowlisted ``origin`` before a call needs it.

        httpx opens connections only for a request, so this sends ``HEAD /`` (no body, no
        credentials) and discards the answer; the connection stays in the run's pool, under
        the run's deadline like any call. Hosts off the allowlist are refused before any
        I/O; failures are ignored (the real call will meet and report them). Returns
        whether a connection was made.
        """
        url = f"{origin.rstrip('/')}/"
        try:
            self.allowlist.check(url)
            self.deadline.check()
            self._fetch("HEAD", url)
        except (UnsafeURL, DeadlineExceeded, AnswerTooLarge, httpx.HTTPError, httpx.InvalidURL, httpx.StreamError):
            return False
        return True

    def exchange(self, login_origin: str, assertion: str) -> TokenReply:
        """POST the JWT bearer grant; keep Salesforce's error and HTTP status verbatim."""
        url = f"{login_origin}/services/oauth2/token"
        try:
            response = self._send(
                "POST", url, data={"grant_type": JWT_GRANT, "assertion": assertion},
                headers={"Accept": "application/json"},
            )
        except UnsafeURL as exc:
            return _unreachable(url, f"refused before calling: {exc}")
        except DeadlineExceeded as exc:
            return _unreachable(url, str(exc), slow=True)
        except AnswerTooLarge as exc:  # an HTTP answer, unusable: Salesforce's side, like a maintenance page
            return _unreachable(url, str(exc), status=exc.status)
        except httpx.HTTPError as exc:
            text, dns = describe_transport_error(exc)
            return _unreachable(url, text, dns=dns, slow=_timed_out(exc))
        date = parse_date(response.headers.get("date"))
        status = response.status_code
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            return TokenReply(url, status, TokenError(status, "unreachable",
                                                      f"HTTP {status} with {short_body(response)}"),
                              server_date=date)
        if status == 200 and isinstance(body.get("access_token"), str) and body["access_token"]:
            scope = body.get("scope")
            return TokenReply(
                url, status,
                token=AccessToken(body["access_token"]),
                scope=tuple(scope.split()) if isinstance(scope, str) else (),
                instance_url=body.get("instance_url") if isinstance(body.get("instance_url"), str) else None,
                identity_url=body.get("id") if isinstance(body.get("id"), str) else None,
                server_date=date,
            )
        error = body.get("error")
        description = body.get("error_description")
        if status >= 500:  # a server-side failure, whatever its body says: retry, not reconfigure
            said = f": {error}: {description}" if isinstance(error, str) and error else ""
            return TokenReply(url, status, TokenError(status, "unreachable", f"HTTP {status} from Salesforce{said}"),
                              server_date=date)
        if not isinstance(error, str) or not error:
            if status >= 500:
                return TokenReply(url, status, TokenError(status, "unreachable", f"HTTP {status} from Salesforce"),
                                  server_date=date)
            return TokenReply(url, status, TokenError(status, "unknown", "a JSON answer with no error code"),
                              server_date=date)
        return TokenReply(url, status, TokenError(status, error, description if isinstance(description, str) else ""),
                          server_date=date)

    def resolves(self, origin: str) -> bool | None:
        """Whether ``origin`` answers at all (any HTTP status): tells our network from their host name.

        Goes through the same allowlist, transport and run deadline as every other call; None when
        unknown: the deadline passed before or during the question, or the answer was too slow.
        """
        if self.deadline.expired:
            return None
        url = f"{origin}/"
        try:
            self.allowlist.check(url)
            self._fetch("GET", url, headers={"Accept": "text/html"})  # any answer, a redirect too, will do
        except DeadlineExceeded:  # the run's time ran out under the question: unknown, not "unreachable"
            return None
        except AnswerTooLarge:  # it answered: that is all this asks
            return True
        except httpx.HTTPError as exc:  # connected but slow is not our egress failing
            return None if _timed_out(exc) else False
        except UnsafeURL:
            return False
        return True

    def _api(self, method: str, url: str, token: AccessToken, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token.value}", **kwargs.pop("headers", {})}
        return self._send(method, url, headers=headers, **kwargs)

    def identity(self, identity_url: str, token: AccessToken) -> ApiReply:
        """Read the identity URL: organization_id and user_id of the logged-in user."""
        return self._json_call("GET", identity_url, token)

    def organization(self, instance_url: str, token: AccessToken, version: str = API_VERSION) -> ApiReply:
        query = "SELECT Id, Name, IsSandbox, InstanceName, OrganizationType FROM Organization"
        reply = self._json_call("GET", f"{instance_url}/services/data/v{version}/query", token, params={"q": query})
        if reply.ok:
            records = reply.data.get("records")
            if not isinstance(records, list) or not records or not isinstance(records[0], dict):
                return ApiReply(False, reply.status, code="UNEXPECTED", message="no Organization record returned")
            return ApiReply(True, reply.status, data=records[0])
        return reply

    def _answer(self, method: str, url: str, token: AccessToken, **kwargs: Any) -> httpx.Response | ApiReply:
        """Salesforce's answer, or an ApiReply saying why there is none (refused, cut, too large, no answer)."""
        try:
            return self._api(method, url, token, **kwargs)
        except UnsafeURL as exc:
            return ApiReply(False, None, code="REFUSED", message=str(exc))
        except DeadlineExceeded as exc:
            return ApiReply(False, None, code="UNREACHABLE", message=str(exc))
        except AnswerTooLarge as exc:
            return ApiReply(False, exc.status, code=TOO_LARGE, message=str(exc))
        except httpx.HTTPError as exc:
            return ApiReply(False, None, code="UNREACHABLE", message=describe_transport_error(exc)[0])

    def _json_call(self, method: str, url: str, token: AccessToken, **kwargs: Any) -> ApiReply:
        response = self._answer(method, url, token, **kwargs)
        if isinstance(response, ApiReply):
            return response
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            text = response.text.strip()[:MAX_BODY_SHOWN]
            return ApiReply(False, response.status_code, code=text if text.isidentifier() else "NOT_JSON",
                            message=f"HTTP {response.status_code} with {short_body(response)}")
        if response.is_success and isinstance(body, dict):
            return ApiReply(True, response.status_code, data=body)
        # REST errors are a list of {"errorCode", "message"}.
        first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else body
        first = first if isinstance(first, dict) else {}
        return ApiReply(False, response.status_code, code=str(first.get("errorCode") or first.get("error") or "ERROR"),
                        message=str(first.get("message") or first.get("error_description") or ""))

    def describe_metadata(self, instance_url: str, token: AccessToken, version: str = API_VERSION) -> ApiReply:
        """Call the Metadata API's describeMetadata over SOAP: proves metadata access."""
        envelope = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:met="http://soap.sforce.com/2006/04/metadata">'
            "<soapenv:Header><met:SessionHeader><met:sessionId>{sid}</met:sessionId></met:SessionHeader>"
            "</soapenv:Header><soapenv:Body><met:describeMetadata><met:asOfVersion>{v}</met:asOfVersion>"
            "</met:describeMetadata></soapenv:Body></soapenv:Envelope>"
        )
        body = envelope.format(sid=xml_escape(token.value), v=version)
        response = self._answer(
            "POST", f"{instance_url}/services/Soap/m/{version}", token,
            content=body.encode(), headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
        )
        return response if isinstance(response, ApiReply) else _parse_soap(response)


def _parse_soap(response: httpx.Response) -> ApiReply:
    try:
        root = ElementTree.fromstring(response.content)
    except ElementTree.ParseError:
        return ApiReply(False, response.status_code, code="NOT_XML",
                        message=f"HTTP {response.status_code} with {short_body(response)}")
    fault = next((el for el in root.iter() if el.tag.endswith("Fault")), None)
    if fault is not None:
        code = next((el.text or "" for el in fault.iter() if el.tag.endswith("faultcode")), "")
        message = next((el.text or "" for el in fault.iter() if el.tag.endswith("faultstring")), "")
        return ApiReply(False, response.status_code, code=code.split(":")[-1] or "FAULT", message=message)
    result = next((el for el in root.iter() if el.tag.endswith("result")), None)
    if result is None or not response.is_success:
        return ApiReply(False, response.status_code, code="UNEXPECTED", message="no describeMetadata result")
    names = [el.text for el in result.iter() if el.tag.endswith("xmlName") and el.text]
    return ApiReply(True, response.status_code, data={"metadata_types": len(names)})
