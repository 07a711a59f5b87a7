"""Pasted-error samples for the explain tests: how each client wraps a Salesforce token error."""

from __future__ import annotations

import json

CLI_HEAD = (
    "Error (JwtGrantError): We encountered a JSON web token error, which is likely not an issue with Salesforce CLI. "
    "Here’s the error: JwtAuthError::Error authenticating with JWT.\nErrors encountered:\n"
)
APPROVE = "user hasn't approved this consumer"
ECA = "External client app is not installed in this org"


def jsn(code: str, desc: str, reverse: bool = False, indent: int | None = None) -> str:
    body = {"error_description": desc, "error": code} if reverse else {"error": code, "error_description": desc}
    return json.dumps(body, indent=indent)


def http(status: int, reason: str, body: str) -> str:
    return (f"HTTP/1.1 {status} {reason}\nDate: Tue, 03 Nov 2026 10:00:00 GMT\n"
            "Content-Type: application/json;charset=UTF-8\nCache-Control: no-cache,must-revalidate,max-age=0\n"
            f"Transfer-Encoding: chunked\n\n{body}\n")


def guzzle(host: str, body: str) -> str:
    return (f"GuzzleHttp\\Exception\\ClientException: Client error: `POST https://{host}/services/oauth2/token` "
            f"resulted in a `400 Bad Request` response:\n{body}\n in /var/www/vendor/guzzlehttp/guzzle/src/"
            "Exception/RequestException.php:113")


def mule(body: str) -> str:
    return ("ERROR 2026-11-03 10:00:00,123 [[MuleRuntime].uber.04] org.mule.runtime.core.internal.exception: "
            "HTTP POST on resource 'https://login.salesforce.com/services/oauth2/token' failed: "
            f"Invalid status code: 400, response body: {body}")


def jsforce(code: str, desc: str) -> str:
    return (f"{code}: {desc}\n    at OAuth2._postParams (/app/node_modules/jsforce/lib/oauth2.js:236:17)\n"
            f"    at processTicksAndRejections (node:internal/process/task_queues:95:5) {{\n  name: '{code}'\n}}")


def slack(code: str, desc: str) -> str:
    return ("Test Connection said: " + jsn(code, desc).replace('"', "&quot;").replace("'", "&#39;")
            + " &lt;https://acme.my.salesforce.com&gt;")
