"""Advice for the causes `explain` reads outside Salesforce's JWT answer: proxy, TLS, the key file, other login
flows, wrappers, malformed requests.

Kept apart from :mod:`checks.rules.advice` (registered into its table by ``LOCAL_ADVICE``) so the two can change
independently. Short on purpose: the separating check of each reading is ``Explanation.next_check``
(:mod:`checks.rules.next_check`). Slack fixes carry no shell command: nobody there has one next to the client.
"""

from __future__ import annotations

from typing import Callable

from checks.model import CauseId
from checks.rules.advice_model import Advice, AdviceContext

C = CauseId


def _proxy_auth(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=("Ask the network team which proxy the client goes through and how it authenticates (Basic, NTLM, "
                "Kerberos).",),
        fix=("Give the client the proxy's credentials (or a proxy account for this integration), or have the "
             "proxy let *.salesforce.com and *.force.com through without a login.",),
    )


def _proxy_refused(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=("Ask the network team whether the proxy allows HTTPS (CONNECT) to *.salesforce.com:443 and "
                "*.force.com:443 for the machine running the client.",),
        fix=("Have the proxy's allowlist include *.salesforce.com and *.force.com on port 443.",),
    )


def _proxy_scheme(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=("Read the proxy setting the client uses (HTTPS_PROXY, the tool's proxy field): does it start with "
                "https://?",),
        fix=("Write the proxy as http://host:port (most corporate proxies take plain HTTP even for HTTPS traffic) "
             "and try again.",),
    )


def _tls_interception(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=("Ask the network team whether HTTPS to Salesforce is inspected (Zscaler, Netskope, a company CA).",),
        fix=("Exempt *.salesforce.com and *.force.com from TLS inspection, or add the inspecting proxy's CA "
             "certificate to the client's trust store (Java cacerts, NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE).",
             "If nothing inspects the traffic, update the client's trust store: it does not know Salesforce's CA."),
    )


def _tls_protocol(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=("Note the client's runtime and version: Salesforce accepts TLS 1.2 or later only.",),
        fix=("Enable TLS 1.2+ in the client (update Java 7/8 or .NET Framework, or set its TLS options), then check "
             "whether a proxy in between downgrades the handshake.",),
    )


def _mutual_tls(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=("In Setup > Certificate and Key Management, under Mutual Authentication Certificates, check the client "
                "certificate is uploaded and not expired.",),
        fix=("Have the client present that certificate on port 8443, or call the standard port 443 if mutual TLS "
             "is not required.",),
    )


def _key_unreadable(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=("On the machine running the client, check the key path in the message exists for that process "
                "(container mount, working directory) and is readable by its user.",),
        fix=("Point the client at the right key file, or fix the mount or the file's permissions.",),
    )


def _key_passphrase(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=("Check whether the key (or keystore) is encrypted, and which passphrase the client is given.",),
        fix=("Give the client the key's passphrase, or store an unencrypted copy of the key where only the client "
             "can read it.",),
    )


def _not_jwt(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=("Check which login the client performs: a JWT bearer login never answers INVALID_LOGIN or "
                "\"authentication failure\".",),
        fix=("Configure the client for the JWT bearer flow (username, consumer key, private key and login URL), "
             "or, if a password login is intended, check the password, security token and Login History.",),
    )


def _session_expired(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=("In Login History, check the JWT logins of the integration user succeed.",),
        fix=("Have the client request a new token when the old one expires or is revoked (Setup > Session "
             "Settings > Timeout Value).",),
    )


def _rest_session(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=(f"In {ctx.connected_app}'s OAuth settings, check the selected scopes include api.",),
        fix=("If they do: review Setup > Session Settings (the setting that locks a login to its IP address), the "
             "profile's Session Security Level, and API Access Control.",),
    )


def _wrapper(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=("Get Salesforce's own answer: turn on the integration's debug or HTTP wire log, or Login History "
                "for the integration user.",),
        fix=("Paste that answer again: it names the cause the wrapper hid.",),
    )


def _request_malformed(ctx: AdviceContext) -> Advice:
    return Advice(
        verify=("Check the token request: POST over https, form-encoded body with grant_type and assertion.",),
        fix=("Fix the client's token request (grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer, "
             "Content-Type application/x-www-form-urlencoded).",),
    )


LOCAL_ADVICE: dict[CauseId, Callable[[AdviceContext], Advice]] = {
    C.PROXY_AUTH_REQUIRED: _proxy_auth,
    C.PROXY_REFUSED: _proxy_refused,
    C.PROXY_SCHEME_WRONG: _proxy_scheme,
    C.TLS_INTERCEPTION: _tls_interception,
    C.TLS_PROTOCOL: _tls_protocol,
    C.MUTUAL_TLS_CERTIFICATE: _mutual_tls,
    C.LOCAL_KEY_UNREADABLE: _key_unreadable,
    C.LOCAL_KEY_PASSPHRASE: _key_passphrase,
    C.NOT_JWT_FLOW: _not_jwt,
    C.SESSION_EXPIRED: _session_expired,
    C.REST_SESSION_INVALID: _rest_session,
    C.WRAPPER_HID_ANSWER: _wrapper,
    C.REQUEST_MALFORMED: _request_malformed,
}
