"""The three calls made after login: identity URL, a SOQL query, Metadata ``describeMetadata``.

Each answers in the shape real Salesforce uses, including its failure shapes:
identity refuses with plain text, REST with a JSON list, SOAP with a fault.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from checks.simulator.wire import SimRequest, SimResponse, XML_TYPE, json_response, not_found, text_response
from checks.simulator.world import Session, SimulatorLike, LOGIN_HOST, TEST_HOST, Org, SimUser


_ID_PATH = re.compile(r"^/id/(?P<org>00D\w{12,15})/(?P<user>005\w{12,15})/?$")
_QUERY_PATH = re.compile(r"^/services/data/v(?P<version>\d+\.\d+)/query/?$")
_SOAP_PATH = re.compile(r"^/services/Soap/m/(?P<version>\d+\.\d+)(?:/\w+)?/?$")
_FROM_ORGANIZATION = re.compile(r"\bfrom\s+organization\b", re.IGNORECASE)

_SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
_MD_NS = "http://soap.sforce.com/2006/04/metadata"
_INVALID_SESSION = "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session"
_INSUFFICIENT = (
    "INSUFFICIENT_ACCESS: use of the Metadata API requires a user with the "
    "ModifyAllData or ModifyMetadata permissions"
)
# (xmlName, directoryName, suffix, metaFile): a handful is enough for a caller to see a real answer.
_METADATA_OBJECTS = (
    ("ApexClass", "classes", "cls", True),
    ("ApexTrigger", "triggers", "trigger", True),
    ("CustomObject", "objects", "object", False),
    ("Layout", "layouts", "layout", False),
    ("PermissionSet", "permissionsets", "permissionset", False),
)


def _has_api(session: Session) -> bool:
    return bool({"api", "full"} & session.scopes)


# ---- identity --------------------------------------------------------------------------


def _identity(sim: SimulatorLike, req: SimRequest, org_id: str, user_id: str) -> SimResponse:
    session = sim.session(req.bearer(), req.host)
    if session is None or org_id not in (session.org.org_id, session.org.org_id[:15]):
        return text_response(403, "Bad_OAuth_Token", error="Bad_OAuth_Token")
    user = next((u for u in session.org.users if user_id in (u.user_id, u.user_id[:15])), None)
    if user is None:
        return text_response(404, "Bad_Id", error="Bad_Id")
    return json_response(200, identity_payload(session.org, user))


def identity_payload(org: Org, user: SimUser) -> dict[str, object]:
    """What the identity URL returns about ``user``."""
    base = org.instance_url
    first, _, last = user.display_name.partition(" ")
    return {
        "id": f"https://{org.generic_host}/id/{org.org_id}/{user.user_id}",
        "asserted_user": True,
        "user_id": user.user_id,
        "organization_id": org.org_id,
        "username": user.username,
        "nick_name": user.username.split("@", 1)[0],
        "display_name": user.display_name,
        "first_name": first,
        "last_name": last or first,
        "email": user.username,
        "email_verified": True,
        "active": user.active,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": 0,
        "is_app_installed": True,
        "urls": {
            "enterprise": f"{base}/services/Soap/c/{{version}}/{org.org_id[:15]}",
            "metadata": f"{base}/services/Soap/m/{{version}}/{org.org_id[:15]}",
            "partner": f"{base}/services/Soap/u/{{version}}/{org.org_id[:15]}",
            "rest": f"{base}/services/data/v{{version}}/",
            "sobjects": f"{base}/services/data/v{{version}}/sobjects/",
            "query": f"{base}/services/data/v{{version}}/query/",
            "profile": f"{base}/{user.user_id}",
        },
    }


# ---- REST query ------------------------------------------------------------------------


def _query(sim: SimulatorLike, req: SimRequest, version: str) -> SimResponse:
    session = sim.session(req.bearer(), req.host, api_only=True)
    if session is None:
        payload = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
        return json_response(401, payload, "INVALID_SESSION_ID")
    if not _has_api(session):
        payload = [{"errorCode": "INVALID_SESSION_ID", "message": "This session is not valid for use with the REST API"}]
        return json_response(401, payload, "INVALID_SESSION_ID")
    if not session.user.api_enabled:
        payload = [{"errorCode": "API_CURRENTLY_DISABLED", "message": "API is disabled for this User"}]
        return json_response(403, payload, "API_CURRENTLY_DISABLED")
    soql = req.query_param("q") or ""
    if not _FROM_ORGANIZATION.search(soql):
        message = "unexpected token: the simulator only answers queries FROM Organization"
        return json_response(400, [{"message": message, "errorCode": "MALFORMED_QUERY"}], "MALFORMED_QUERY")
    org = session.org
    record = {
        "attributes": {"type": "Organization", "url": f"/services/data/v{version}/sobjects/Organization/{org.org_id}"},
        "Id": org.org_id,
        "Name": org.name,
        "IsSandbox": org.is_sandbox,
        "InstanceName": org.instance_name,
        "OrganizationType": org.organization_type,
    }
    return json_response(200, {"totalSize": 1, "done": True, "records": [record]})


# ---- Metadata SOAP ---------------------------------------------------------------------


def _envelope(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{_SOAP_NS}" xmlns="{_MD_NS}" xmlns:sf="{_MD_NS}">'
        f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    ).encode()


def _fault(code: str, message: str) -> SimResponse:
    body = f"<soapenv:Fault><faultcode>{code}</faultcode><faultstring>{escape(message)}</faultstring></soapenv:Fault>"
    return SimResponse(500, _envelope(body), {"Content-Type": XML_TYPE}, code)


def _describe_result(org: Org) -> SimResponse:
    objects = "".join(
        "<metadataObjects>"
        f"<directoryName>{directory}</directoryName><inFolder>false</inFolder>"
        f"<metaFile>{str(meta).lower()}</metaFile><suffix>{suffix}</suffix><xmlName>{name}</xmlName>"
        "</metadataObjects>"
        for name, directory, suffix, meta in _METADATA_OBJECTS
    )
    # Production orgs require Apex tests on deploy; sandboxes do not.
    result = (
        f"<describeMetadataResponse><result>{objects}<organizationNamespace></organizationNamespace>"
        f"<partialSaveAllowed>true</partialSaveAllowed><testRequired>{str(not org.is_sandbox).lower()}</testRequired>"
        "</result></describeMetadataResponse>"
    )
    return SimResponse(200, _envelope(result), {"Content-Type": XML_TYPE})


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _soap(sim: SimulatorLike, req: SimRequest) -> SimResponse:
    if req.method != "POST":
        return not_found()
    if req.host in (LOGIN_HOST, TEST_HOST):
        # The login host is not where API calls go; Salesforce says so in this fault.
        return _fault("sf:URL_NOT_RESET", "URL_NOT_RESET: Destination URL not reset. The URL returned from login must be set")
    try:
        root = ET.fromstring(req.body)
    except ET.ParseError:
        return _fault("soapenv:Client", "Premature end of file or malformed SOAP envelope")
    elements = list(root.iter())
    session_id = next((e.text or "" for e in elements if _local(e.tag) == "sessionId"), "")
    session = sim.session(session_id.strip() or None, req.host, api_only=True)
    if session is None or not _has_api(session):
        return _fault("sf:INVALID_SESSION_ID", _INVALID_SESSION)
    body = next((e for e in elements if _local(e.tag) == "Body"), None)
    operation = next(iter(body), None) if body is not None else None
    if operation is None or _local(operation.tag) != "describeMetadata":
        name = _local(operation.tag) if operation is not None else ""
        return _fault("soapenv:Client", f"No operation available for request {{{_MD_NS}}}{name}")
    if not session.user.api_enabled:
        return _fault("sf:API_CURRENTLY_DISABLED", "API_CURRENTLY_DISABLED: API is disabled for this User")
    if not session.user.modify_metadata:
        return _fault("sf:INSUFFICIENT_ACCESS", _INSUFFICIENT)
    return _describe_result(session.org)


# ---- routing ---------------------------------------------------------------------------


def handle_api(sim: SimulatorLike, req: SimRequest) -> SimResponse:
    """Identity, query or SOAP by path; anything else is Salesforce's HTML 404 page."""
    if (m := _ID_PATH.match(req.path)) and req.method == "GET":
        return _identity(sim, req, m["org"], m["user"])
    if (m := _QUERY_PATH.match(req.path)) and req.method == "GET":
        if req.host in (LOGIN_HOST, TEST_HOST):
            payload = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
            return json_response(401, payload, "INVALID_SESSION_ID")
        return _query(sim, req, m["version"])
    if _SOAP_PATH.match(req.path):
        return _soap(sim, req)
    return not_found()
