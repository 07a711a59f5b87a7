"""The one check that separates a reading the text cannot decide: what to look at next, per top cause.

The counterpart, for pasted text, of the live check's separating check (:mod:`checks.rules.causes`). Each entry
has a terminal wording (commands allowed) and a Slack wording (no shell commands: nobody in the channel has one
next to the failing client).
"""

from __future__ import annotations

from checks.model import CauseId

C = CauseId
_RUN_CHECK = ("Run `aprity-diagnose check` with the same username, consumer key and login URL: it tests each "
              "setting in turn.", "Run `/aprity-diagnose NAME` on the connection: it tests each setting in turn.")

# cause -> (terminal, slack)
_NEXT: dict[CauseId, tuple[str, str]] = {
    C.PROXY_AUTH_REQUIRED: (
        "Ask which proxy the client uses and how it authenticates (the Proxy-Authenticate header: Basic, NTLM, "
        "Negotiate): the client must send those credentials.",) * 2,
    C.PROXY_REFUSED: (
        "From the machine running the client: `curl -v -x $HTTPS_PROXY https://login.salesforce.com` — the status "
        "after CONNECT says 407 (credentials), 403 (allowlist) or 200 (the proxy is fine: look elsewhere).",
        "Ask the network team for the proxy's answer to a CONNECT to login.salesforce.com:443 from that machine: "
        "407 means credentials, 403 the allowlist, 200 the proxy is fine."),
    C.PROXY_SCHEME_WRONG: (
        "Is the proxy URL https://…? Retry with http:// and the same host and port; if the error stays, it is TLS.",
    ) * 2,
    C.TLS_INTERCEPTION: (
        "From the same machine: `openssl s_client -connect login.salesforce.com:443 -servername login.salesforce.com "
        "-showcerts` and read the issuer: Zscaler, Netskope or a company CA means TLS inspection; a DigiCert chain "
        "for Salesforce means the client's trust store is outdated (or, on a name mismatch, the host is not one "
        "Salesforce serves: use the org's My Domain).",
        "Ask whoever runs the client which certificate issuer it sees for login.salesforce.com: Zscaler, Netskope "
        "or a company CA means TLS inspection; Salesforce's own chain means the client's trust store is outdated."),
    C.TLS_PROTOCOL: (
        "Which port and which runtime? :8443 is mutual TLS; Java 7/8 or .NET Framework 4.6 and older need TLS 1.2 "
        "switched on; otherwise compare with `openssl s_client -tls1_2 -connect login.salesforce.com:443`.",
        "Which port and which runtime? :8443 is mutual TLS; Java 7/8 or .NET Framework 4.6 and older need TLS 1.2 "
        "switched on; otherwise ask whether a proxy in between changes the handshake."),
    C.MUTUAL_TLS_CERTIFICATE: (
        "Setup > Certificate and Key Management, under Mutual Authentication Certificates: is the client's certificate "
        "uploaded and unexpired, and does the client present it on port 8443?",) * 2,
    C.LOCAL_KEY_UNREADABLE: (
        "On the machine running the client, `ls -l` the path in the message: does it exist for that process "
        "(container mount, working directory) and can its user read it?",
        "Ask whoever runs the client to check the key path in the message exists for that process (container "
        "mount, working directory) and is readable by its user."),
    C.LOCAL_KEY_PASSPHRASE: (
        "Is the key file BEGIN ENCRYPTED PRIVATE KEY or Proc-Type: 4,ENCRYPTED, or a JKS/PFX keystore? Which "
        "passphrase is the client configured with?",) * 2,
    C.PRIVATE_KEY_INVALID: (
        "Read the key file's first line (never paste the key): BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY is PEM; "
        "OPENSSH, EC, ENCRYPTED or CERTIFICATE need converting; a path or eyJ… where the key's content belongs "
        "means the client was given the wrong value.",) * 2,
    C.NOT_JWT_FLOW: (
        "Does the client send grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer? Password, refresh-token and "
        "authorization-code logins answer \"authentication failure\"; Login History shows which login type failed.",
    ) * 2,
    C.SESSION_EXPIRED: (
        "Login History: is there a successful JWT login just before? Then check the client fetches a new token on "
        "401; a 401 right after a fresh login points to the session settings instead.",) * 2,
    C.REST_SESSION_INVALID: (
        "Do the app's Selected OAuth Scopes include api? If they do: Session Settings (lock sessions to the IP "
        "address they came from), the profile's Session Security Level, API Access Control.",) * 2,
    C.OAUTH_NOT_ENABLED_OR_SCOPES: (
        "Do the app's Selected OAuth Scopes include api (and refresh_token, offline_access)? If they do, look at "
        "Session Settings (IP-locked sessions), the profile's Session Security Level and API Access Control.",) * 2,
    C.WRAPPER_HID_ANSWER: (
        "Get Salesforce's own body: the wrapper's HTTP wire/debug log (Mule -Dmule.verbose.exceptions=true with "
        "HTTP wire logging, an Apex debug log at FINEST for callouts), or run `aprity-diagnose check` with the same "
        "username, consumer key and login URL.",
        "Get Salesforce's own answer: the wrapper's HTTP wire or debug log (an Apex debug log for callouts), or "
        "Login History for the integration user."),
    C.REQUEST_MALFORMED: (
        "Look at the raw request: POST over https, Content-Type application/x-www-form-urlencoded, grant_type and "
        "assertion in the body (not JSON, not the query string).",) * 2,
    C.SALESFORCE_UNREACHABLE: (
        "From the machine running the client: `curl -v https://login.salesforce.com` — a proxy in the way, a TLS "
        "error or no answer at all says which side to fix.",
        "Ask whoever runs the client whether login.salesforce.com opens from that machine, and through which proxy."),
    C.USERNAME_OR_LOGIN_URL: (
        "Compare the login URL with Setup > My Domain, and the username with Setup > Users (a sandbox username "
        "ends in .<sandbox name>).",) * 2,
    C.USER_NOT_PREAUTHORIZED: (
        "Setup > Users: does the integration user exist, spelled exactly, behind this login URL? If yes, is its "
        "profile or permission set assigned to the app?",) * 2,
    C.CERTIFICATE_MISMATCH: _RUN_CHECK,
    C.CONSUMER_KEY_MISMATCH: _RUN_CHECK,
    C.UNKNOWN: _RUN_CHECK,
}


def next_check(cause: CauseId, surface: str = "cli") -> str:
    """What to check next when ``cause`` leads but the text does not decide it."""
    cli, slack = _NEXT.get(cause, _RUN_CHECK)
    return slack if surface == "slack" else cli
