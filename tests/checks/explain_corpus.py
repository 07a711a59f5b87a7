"""Issue 18 corpus: real-world-shaped pasted errors that `aprity-diagnose explain` should read.

Each entry:
    id        short slug, unique
    stack     java/mule | node/jsforce | sf-cli | python | ruby | php | dotnet | apex | curl | aprity-app | other
    family    proxy | tls | key_file | soap_rest_login | wrapper | generic | token_endpoint | network
    text      the message as that stack prints it (log prefixes, stack traces, JSON bodies); no secrets,
              fake hosts (acme.my.salesforce.com, proxy.acme.corp), fake 18-char org ids
    cause     the CauseId value the text points to
    decidable True when the text alone proves the cause (the answer may be `high`), else False
    also      other plausible causes (for non-decidable entries)

Written by hand for issue 18 (no text copied from a customer). Wording follows what each runtime prints:
OpenSSL/Node/Python/Java/.NET/curl library messages are reproduced in their real shape; integration-
platform wrappers (Boomi, Talend, Mule connector) and the aprity app are realistic-shaped, not verbatim.
PEM markers are built from parts so no line of this file reads like a private key header.
"""

from __future__ import annotations

BEGIN, END = "-----BEGIN ", "-----END "
OPENSSH_HEAD = BEGIN + "OPENSSH PRIVATE " + "KEY-----"
ENC_HEAD = BEGIN + "ENCRYPTED PRIVATE " + "KEY-----"
CERT_HEAD = BEGIN + "CERTIFICATE-----"

ORG = "00D5g000004XyZ1EAK"  # fake 18-character org id
KEY85 = "3MVG9" + "fAkEcOnSuMeRkEy0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX.yz"  # not real

MULE_BANNER = "*" * 80
MULE_RULE = "-" * 80


def _mule(message: str, error_type: str, root: str) -> str:
    return (
        "ERROR 2026-11-03 10:00:00,123 [[MuleRuntime].uber.03: [acme-sync].sync-accounts.CPU_LITE @6f1a2b3c] "
        "[processor: sync-accounts/processors/0; event: 8c2f1e40-b9a1-11ef-9d3c-0242ac120002] "
        "org.mule.runtime.core.internal.exception.OnErrorPropagateHandler: \n"
        f"{MULE_BANNER}\n"
        f"Message               : {message}\n"
        "Element               : sync-accounts/processors/0 @ acme-sync:sync.xml:14 (Query)\n"
        "Element DSL           : <salesforce:query config-ref=\"Salesforce_Config\">\n"
        f"Error type            : {error_type}\n"
        "FlowStack             : at sync-accounts(sync-accounts/processors/0 @ acme-sync:sync.xml:14 (Query))\n"
        "\n"
        f"  (set debug level logging or '-Dmule.verbose.exceptions=true' for everything)\n{MULE_BANNER}\n"
        + (f"Root Exception stack trace:\n{root}\n" if root else "")
    )


CORPUS: list[dict] = [
    # =============================================================== token endpoint (work today: regressions)
    {
        "id": "tok-mule-invalid-assertion",
        "stack": "java/mule",
        "family": "token_endpoint",
        "text": (
            "ERROR 2026-11-03 10:00:00,123 [[MuleRuntime].uber.04: [acme-sync].token-flow.CPU_INTENSIVE @2d1f] "
            "org.mule.runtime.core.internal.exception.OnErrorPropagateHandler:\n"
            "Message               : HTTP POST on resource 'https://login.salesforce.com/services/oauth2/token' "
            "failed: bad request (400).\n"
            "Error type            : HTTP:BAD_REQUEST\n"
            "Payload               : {\"error\":\"invalid_grant\",\"error_description\":\"invalid assertion\"}\n"
        ),
        "cause": "certificate_mismatch",
        "decidable": False,
        "also": ["username_or_login_url", "digital_signatures_disabled"],
    },
    {
        "id": "tok-jsforce-not-approved",
        "stack": "node/jsforce",
        "family": "token_endpoint",
        "text": (
            "[sync] 2026-11-03T10:00:00.412Z error: login failed\n"
            "invalid_grant: user hasn't approved this consumer\n"
            "    at OAuth2._postParams (/srv/app/node_modules/jsforce/lib/oauth2.js:238:17)\n"
            "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n"
            "    at async OAuth2.jwtBearerGrant (/srv/app/node_modules/jsforce/lib/oauth2.js:196:12) {\n"
            "  name: 'invalid_grant'\n"
            "}"
        ),
        "cause": "user_not_preauthorized",
        "decidable": False,
        "also": ["username_or_login_url"],
    },
    {
        "id": "tok-sfcli-audience-pair",
        "stack": "sf-cli",
        "family": "token_endpoint",
        "text": (
            "$ sf org login jwt --username ci@acme.com.uat --jwt-key-file assets/server.key "
            "--client-id " + KEY85 + " --instance-url https://login.salesforce.com\n"
            "Error (JwtGrantError): We encountered a JSON web token error, which is likely not an issue with "
            "Salesforce CLI. Here\u2019s the error: JwtAuthError::Error authenticating with JWT.\n"
            "Errors encountered:\n"
            "audience is invalid  [audience=https://login.salesforce.com login=https://login.salesforce.com]\n"
        ),
        "cause": "username_or_login_url",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tok-simple-sf-expired",
        "stack": "python",
        "family": "token_endpoint",
        "text": (
            "Traceback (most recent call last):\n"
            "  File \"/opt/etl/sync.py\", line 41, in <module>\n"
            "    sf = Salesforce(username=USER, consumer_key=KEY, privatekey_file='/opt/etl/sf.key')\n"
            "  File \"/opt/etl/.venv/lib/python3.11/site-packages/simple_salesforce/api.py\", line 221, in __init__\n"
            "    self.session_id, self.sf_instance = SalesforceLogin(\n"
            "  File \"/opt/etl/.venv/lib/python3.11/site-packages/simple_salesforce/login.py\", line 254, in "
            "token_login\n"
            "    raise SalesforceAuthenticationFailed(except_code, except_msg)\n"
            "simple_salesforce.exceptions.SalesforceAuthenticationFailed: Authentication failed "
            "(code: invalid_grant): expired authorization code"
        ),
        "cause": "clock_skew_or_expiry",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tok-restforce-ip",
        "stack": "ruby",
        "family": "token_endpoint",
        "text": (
            "E, [2026-11-03T10:00:01.532 #4242] ERROR -- : Restforce::AuthenticationError: invalid_grant: "
            "ip restricted (400)\n"
            "/usr/local/bundle/gems/restforce-7.3.0/lib/restforce/middleware/authentication.rb:28:in "
            "`authenticate!'\n"
            "/usr/local/bundle/gems/restforce-7.3.0/lib/restforce/middleware/authorization.rb:15:in `call'"
        ),
        "cause": "ip_or_login_hours",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tok-guzzle-client-id",
        "stack": "php",
        "family": "token_endpoint",
        "text": (
            "[2026-11-03 10:00:02] production.ERROR: Client error: `POST https://acme.my.salesforce.com/services/"
            "oauth2/token` resulted in a `400 Bad Request` response:\n"
            "{\"error\":\"invalid_client_id\",\"error_description\":\"client identifier invalid\"}\n"
            " {\"exception\":\"[object] (GuzzleHttp\\\\Exception\\\\ClientException(code: 400): Client error at "
            "/var/www/vendor/guzzlehttp/guzzle/src/Exception/RequestException.php:113)\"}"
        ),
        "cause": "consumer_key_mismatch",
        "decidable": False,
        "also": ["username_or_login_url", "oauth_not_enabled_or_scopes"],
    },
    {
        "id": "tok-dotnet-inactive-user",
        "stack": "dotnet",
        "family": "token_endpoint",
        "text": (
            "fail: Acme.Sync.SalesforceAuth[0]\n"
            "      Token request to https://acme.my.salesforce.com/services/oauth2/token failed: 400 (Bad Request) "
            "{\"error\":\"inactive_user\",\"error_description\":\"User is inactive\"}\n"
            "System.Net.Http.HttpRequestException: Response status code does not indicate success: 400 (Bad Request).\n"
            "   at System.Net.Http.HttpResponseMessage.EnsureSuccessStatusCode()\n"
            "   at Acme.Sync.SalesforceAuth.GetTokenAsync() in /src/Acme.Sync/SalesforceAuth.cs:line 57"
        ),
        "cause": "user_or_org_inactive",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tok-apex-rate",
        "stack": "apex",
        "family": "token_endpoint",
        "text": (
            "10:02:11.0 (52110423)|EXCEPTION_THROWN|[31]|Auth.JWTBearerTokenExchange.JWTBearerTokenExchangeException: "
            "Error 400: {\"error\":\"invalid_grant\",\"error_description\":\"login rate exceeded\"}\n"
            "10:02:11.0 (52287731)|FATAL_ERROR|Auth.JWTBearerTokenExchange.JWTBearerTokenExchangeException: "
            "Error 400: {\"error\":\"invalid_grant\",\"error_description\":\"login rate exceeded\"}\n"
            "Class.AcmeTokenService.getToken: line 31, column 1"
        ),
        "cause": "login_rate_exceeded",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tok-curl-app-access",
        "stack": "curl",
        "family": "token_endpoint",
        "text": (
            "> POST /services/oauth2/token HTTP/1.1\n> Host: acme.my.salesforce.com\n"
            "> Content-Type: application/x-www-form-urlencoded\n>\n"
            "< HTTP/1.1 400 Bad Request\n< Content-Type: application/json;charset=UTF-8\n<\n"
            "{\"error\":\"invalid_app_access\",\"error_description\":\"user is not admin approved to access this app\"}"
        ),
        "cause": "user_not_preauthorized",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tok-aprity-app-eca-generic-host",
        "stack": "aprity-app",
        "family": "token_endpoint",
        "text": (
            "Settings > Connection > Test Connection\n"
            "Connection failed. Salesforce answered: app_not_found - External client app is not installed in "
            "this org (login URL https://login.salesforce.com)"
        ),
        "cause": "username_or_login_url",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tok-spring-inactive-org",
        "stack": "java/mule",
        "family": "token_endpoint",
        "text": (
            "2026-11-03 10:00:03.118 ERROR 1 --- [scheduling-1] c.a.sync.SalesforceTokenClient : token request "
            "failed\norg.springframework.web.client.HttpClientErrorException$BadRequest: 400 Bad Request: "
            "\"{\"error\":\"invalid_grant\",\"error_description\":\"inactive organization\"}\"\n"
            "\tat org.springframework.web.client.HttpClientErrorException.create(HttpClientErrorException.java:101)"
        ),
        "cause": "user_or_org_inactive",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tok-login-history-restricted-ip",
        "stack": "other",
        "family": "token_endpoint",
        "text": (
            "Login History export:\n"
            "Login Time,Username,Login Type,Status,Source IP\n"
            "11/3/2026 10:00 AM,integration@acme.com,Remote Access 2.0,Restricted IP,203.0.113.40"
        ),
        "cause": "ip_or_login_hours",
        "decidable": True,
        "also": [],
    },
    {
        "id": "net-python-dns",
        "stack": "python",
        "family": "network",
        "text": (
            "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='acme.my.salesforce.com', port=443): "
            "Max retries exceeded with url: /services/oauth2/token (Caused by NameResolutionError(\"<urllib3."
            "connection.HTTPSConnection object at 0x7f3a2c1d0e50>: Failed to resolve 'acme.my.salesforce.com' "
            "([Errno -3] Temporary failure in name resolution)\"))"
        ),
        "cause": "salesforce_unreachable",
        "decidable": True,
        "also": [],
    },
    {
        "id": "net-node-timeout",
        "stack": "node/jsforce",
        "family": "network",
        "text": (
            "Error: connect ETIMEDOUT 13.110.4.20:443\n"
            "    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16) {\n"
            "  errno: -110,\n  code: 'ETIMEDOUT',\n  syscall: 'connect',\n  address: '13.110.4.20',\n  port: 443\n}"
        ),
        "cause": "salesforce_unreachable",
        "decidable": True,
        "also": [],
    },
    {
        "id": "rest-metadata-soap-fault",
        "stack": "java/mule",
        "family": "soap_rest_login",
        "text": (
            "com.sforce.soap.metadata.SoapFaultException: INSUFFICIENT_ACCESS: use of the Metadata API requires "
            "a user with the ModifyAllData or ModifyMetadata permissions\n"
            "\tat com.sforce.soap.metadata.SoapFaultException.throwException(...)"
        ),
        "cause": "metadata_access_missing",
        "decidable": True,
        "also": [],
    },
    {
        # ".qa" is a common sandbox name but "com.qa" is also Qatar's second-level domain: checks/hosts.py:228
        # deliberately ignores 2-letter suffixes after "com", so today this reads as a plain invalid assertion.
        "id": "tok-cumulus-invalid-assertion-sandbox-user",
        "stack": "python",
        "family": "token_endpoint",
        "text": (
            "username: ci@acme.com.qa\nlogin_url: https://login.salesforce.com\n"
            "cumulusci.core.exceptions.SalesforceCredentialsException: Error retrieving access token: "
            "b'{\"error\":\"invalid_grant\",\"error_description\":\"invalid assertion\"}'"
        ),
        "cause": "username_or_login_url",
        "decidable": False,
        "also": ["certificate_mismatch"],
    },

    # =============================================================== proxy
    {
        "id": "proxy-java-huc-407",
        "stack": "java/mule",
        "family": "proxy",
        "text": (
            "java.io.IOException: Unable to tunnel through proxy. Proxy returns \"HTTP/1.1 407 Proxy "
            "Authentication Required\"\n"
            "\tat java.base/sun.net.www.protocol.http.HttpURLConnection.doTunneling0(HttpURLConnection.java:2311)\n"
            "\tat java.base/sun.net.www.protocol.http.HttpURLConnection.doTunneling(HttpURLConnection.java:2180)\n"
            "\tat java.base/sun.net.www.protocol.https.AbstractDelegateHttpsURLConnection.connect("
            "AbstractDelegateHttpsURLConnection.java:183)\n"
            "\tat com.acme.sf.JwtLogin.requestToken(JwtLogin.java:88)"
        ),
        "cause": "proxy_auth_required",
        "decidable": True,
        "also": [],
    },
    {
        "id": "proxy-mule-connector-407",
        "stack": "java/mule",
        "family": "proxy",
        "text": _mule(
            "org.mule.runtime.api.connection.ConnectionException: Unable to tunnel through proxy. Proxy returns "
            "\"HTTP/1.1 407 Proxy Authentication Required\"",
            "SALESFORCE:CONNECTIVITY",
            "java.io.IOException: Unable to tunnel through proxy. Proxy returns \"HTTP/1.1 407 Proxy Authentication "
            "Required\"\n\tat sun.net.www.protocol.http.HttpURLConnection.doTunneling(HttpURLConnection.java:2180)\n"
            "\tat com.sforce.ws.transport.JdkHttpTransport.connectRaw(JdkHttpTransport.java:136)",
        ),
        "cause": "proxy_auth_required",
        "decidable": True,
        "also": [],
    },
    {
        "id": "proxy-mule-http-requester-407",
        "stack": "java/mule",
        "family": "proxy",
        "text": (
            "ERROR 2026-11-03 10:00:00,512 [[MuleRuntime].uber.07: [acme-sync].token-flow.BLOCKING @41b2] "
            "org.mule.runtime.core.internal.exception.OnErrorPropagateHandler:\n"
            "Message               : HTTP POST on resource 'https://login.salesforce.com/services/oauth2/token' "
            "failed: proxy authentication required (407).\n"
            "Error type            : HTTP:PROXY_AUTHENTICATION\n"
        ),
        "cause": "proxy_auth_required",
        "decidable": True,
        "also": [],
    },
    {
        "id": "proxy-apache-tunnel-refused-407",
        "stack": "java/mule",
        "family": "proxy",
        "text": (
            "org.apache.http.impl.execchain.TunnelRefusedException: CONNECT refused by proxy: HTTP/1.1 407 "
            "Proxy Authentication Required\n"
            "\tat org.apache.http.impl.execchain.MainClientExec.createTunnelToTarget(MainClientExec.java:486)\n"
            "\tat org.apache.http.impl.execchain.MainClientExec.establishRoute(MainClientExec.java:413)\n"
            "\tat org.apache.http.impl.client.CloseableHttpClient.execute(CloseableHttpClient.java:56)"
        ),
        "cause": "proxy_auth_required",
        "decidable": True,
        "also": [],
    },
    {
        "id": "proxy-java-huc-403",
        "stack": "java/mule",
        "family": "proxy",
        "text": (
            "Caused by: java.io.IOException: Unable to tunnel through proxy. Proxy returns \"HTTP/1.1 403 "
            "Forbidden\"\n"
            "\tat java.base/sun.net.www.protocol.http.HttpURLConnection.doTunneling0(HttpURLConnection.java:2311)"
        ),
        "cause": "proxy_refused",
        "decidable": True,
        "also": [],
    },
    {
        "id": "proxy-python-requests-407",
        "stack": "python",
        "family": "proxy",
        "text": (
            "requests.exceptions.ProxyError: HTTPSConnectionPool(host='login.salesforce.com', port=443): Max "
            "retries exceeded with url: /services/oauth2/token (Caused by ProxyError('Unable to connect to "
            "proxy', OSError('Tunnel connection failed: 407 Proxy Authentication Required')))"
        ),
        "cause": "proxy_auth_required",
        "decidable": True,
        "also": [],
    },
    {
        "id": "proxy-python-simple-sf-https-scheme",
        "stack": "python",
        "family": "proxy",
        "text": (
            "HTTPS_PROXY=https://proxy.acme.corp:3128\n"
            "Traceback (most recent call last):\n"
            "  File \"/opt/etl/.venv/lib/python3.11/site-packages/simple_salesforce/login.py\", line 240, in "
            "token_login\n"
            "    response = session.post(token_url, auth_data, proxies=proxies)\n"
            "requests.exceptions.ProxyError: HTTPSConnectionPool(host='login.salesforce.com', port=443): Max "
            "retries exceeded with url: /services/oauth2/token (Caused by ProxyError('Your proxy appears to only "
            "use HTTP and not HTTPS, try changing your proxy URL to be HTTP. See: https://urllib3.readthedocs.io/"
            "en/latest/advanced-usage.html#https-proxy-error-http-proxy', SSLError(SSLError(1, '[SSL: "
            "WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)'))))"
        ),
        "cause": "proxy_scheme_wrong",
        "decidable": True,
        "also": [],
    },
    {
        "id": "proxy-python-wrong-version-old-urllib3",
        "stack": "python",
        "family": "proxy",
        "text": (
            "requests.exceptions.ProxyError: HTTPSConnectionPool(host='acme.my.salesforce.com', port=443): Max "
            "retries exceeded with url: /services/oauth2/token (Caused by ProxyError('Cannot connect to proxy.', "
            "SSLError(SSLError(1, '[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1131)'))))"
        ),
        "cause": "proxy_scheme_wrong",
        "decidable": True,
        "also": [],
    },
    {
        "id": "proxy-node-request-tunnel-407",
        "stack": "node/jsforce",
        "family": "proxy",
        "text": (
            "Error: tunneling socket could not be established, statusCode=407\n"
            "    at ClientRequest.onConnect (/srv/app/node_modules/tunnel-agent/index.js:166:19)\n"
            "    at Object.onceWrapper (node:events:632:26)\n"
            "    at ClientRequest.emit (node:events:517:28)\n"
            "    at Socket.socketOnData (node:_http_client:577:11) {\n  code: 'ECONNRESET'\n}"
        ),
        "cause": "proxy_auth_required",
        "decidable": True,
        "also": [],
    },
    {
        "id": "proxy-node-undici-407",
        "stack": "node/jsforce",
        "family": "proxy",
        "text": (
            "TypeError: fetch failed\n"
            "    at node:internal/deps/undici/undici:13502:13\n"
            "    at async getToken (/srv/app/dist/salesforce.js:44:17) {\n"
            "  [cause]: RequestAbortedError [AbortError]: Proxy response (407) !== 200 when HTTP Tunneling\n"
            "      at Agent.connect (/srv/app/node_modules/undici/lib/dispatcher/proxy-agent.js:123:19) {\n"
            "    code: 'UND_ERR_ABORTED'\n  }\n}"
        ),
        "cause": "proxy_auth_required",
        "decidable": True,
        "also": [],
    },
    {
        "id": "proxy-node-eproto-https-proxy",
        "stack": "node/jsforce",
        "family": "proxy",
        "text": (
            "HTTPS_PROXY=https://proxy.acme.corp:8080\n"
            "Error: write EPROTO 40F8A8B8F87F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version "
            "number:../deps/openssl/openssl/ssl/record/ssl3_record.c:355:\n\n"
            "    at WriteWrap.onWriteComplete [as oncomplete] (node:internal/stream_base_commons:94:16) {\n"
            "  errno: -71,\n  code: 'EPROTO',\n  syscall: 'write'\n}"
        ),
        "cause": "proxy_scheme_wrong",
        "decidable": False,
        "also": ["tls_protocol"],
    },
    {
        "id": "proxy-sfcli-socket-hang-up",
        "stack": "sf-cli",
        "family": "proxy",
        "text": (
            "$ export HTTPS_PROXY=http://proxy.acme.corp:8080\n"
            "$ sf org login jwt --username ci@acme.com --jwt-key-file server.key --client-id " + KEY85 + "\n"
            "Error (ECONNRESET): request to https://login.salesforce.com/services/oauth2/token failed, reason: "
            "socket hang up"
        ),
        "cause": "salesforce_unreachable",
        "decidable": False,
        "also": ["proxy_auth_required", "proxy_refused"],
    },
    {
        "id": "proxy-curl-407-old",
        "stack": "curl",
        "family": "proxy",
        "text": (
            "$ curl -x http://proxy.acme.corp:8080 https://login.salesforce.com/services/oauth2/token "
            "-d grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer -d assertion=$JWT\n"
            "curl: (56) Received HTTP code 407 from proxy after CONNECT"
        ),
        "cause": "proxy_auth_required",
        "decidable": True,
        "also": [],
    },
    {
        "id": "proxy-curl-407-new",
        "stack": "curl",
        "family": "proxy",
        "text": (
            "* Uses proxy env variable https_proxy == 'http://proxy.acme.corp:8080'\n"
            "*   Trying 10.20.0.5:8080...\n"
            "* CONNECT tunnel: HTTP/1.1 negotiated\n"
            "> CONNECT login.salesforce.com:443 HTTP/1.1\n"
            "< HTTP/1.1 407 Proxy Authentication Required\n"
            "< Proxy-Authenticate: NTLM\n"
            "< Proxy-Authenticate: Negotiate\n"
            "* CONNECT tunnel failed, response 407\n"
            "curl: (56) CONNECT tunnel failed, response 407"
        ),
        "cause": "proxy_auth_required",
        "decidable": True,
        "also": [],
    },
    {
        "id": "proxy-curl-403",
        "stack": "curl",
        "family": "proxy",
        "text": (
            "< HTTP/1.1 403 Forbidden\n< X-Squid-Error: ERR_ACCESS_DENIED 0\n"
            "curl: (56) Received HTTP code 403 from proxy after CONNECT"
        ),
        "cause": "proxy_refused",
        "decidable": True,
        "also": [],
    },
    {
        "id": "proxy-dotnet-core-407",
        "stack": "dotnet",
        "family": "proxy",
        "text": (
            "System.Net.Http.HttpRequestException: The proxy tunnel request to proxy 'http://proxy.acme.corp:8080/' "
            "failed with status code '407'.\"\n"
            "   at System.Net.Http.HttpConnectionPool.EstablishProxyTunnelAsync(Boolean async, CancellationToken "
            "cancellationToken)\n"
            "   at System.Net.Http.HttpConnectionPool.ConnectAsync(HttpRequestMessage request, Boolean async, "
            "CancellationToken cancellationToken)\n"
            "   at Acme.Sync.SalesforceAuth.GetTokenAsync() in /src/Acme.Sync/SalesforceAuth.cs:line 57"
        ),
        "cause": "proxy_auth_required",
        "decidable": True,
        "also": [],
    },
    {
        "id": "proxy-dotnet-framework-407",
        "stack": "dotnet",
        "family": "proxy",
        "text": (
            "System.Net.WebException: The remote server returned an error: (407) Proxy Authentication Required.\n"
            "   at System.Net.HttpWebRequest.GetRequestStream(TransportContext& context)\n"
            "   at System.Net.HttpWebRequest.GetRequestStream()\n"
            "   at Acme.Crm.SalesforceJwt.RequestToken(String assertion) in C:\\src\\Acme.Crm\\SalesforceJwt.cs:line 73"
        ),
        "cause": "proxy_auth_required",
        "decidable": True,
        "also": [],
    },
    {
        "id": "proxy-restforce-faraday-407",
        "stack": "ruby",
        "family": "proxy",
        "text": (
            "Faraday::ConnectionFailed: 407 \"Proxy Authentication Required\"\n"
            "/usr/local/lib/ruby/3.2.0/net/http.rb:1271:in `connect'\n"
            "/usr/local/bundle/gems/faraday-net_http-3.0.2/lib/faraday/adapter/net_http.rb:66:in `perform_request'\n"
            "/usr/local/bundle/gems/restforce-7.3.0/lib/restforce/middleware/authentication.rb:25:in `authenticate!'"
        ),
        "cause": "proxy_auth_required",
        "decidable": True,
        "also": [],
    },
    {
        "id": "proxy-guzzle-curl56-407",
        "stack": "php",
        "family": "proxy",
        "text": (
            "GuzzleHttp\\Exception\\ConnectException: cURL error 56: Received HTTP code 407 from proxy after CONNECT "
            "(see https://curl.haxx.se/libcurl/c/libcurl-errors.html) for https://login.salesforce.com/services/"
            "oauth2/token in /var/www/vendor/guzzlehttp/guzzle/src/Handler/CurlFactory.php:210"
        ),
        "cause": "proxy_auth_required",
        "decidable": True,
        "also": [],
    },
    {
        "id": "proxy-guzzle-curl35-https-proxy",
        "stack": "php",
        "family": "proxy",
        "text": (
            "'proxy' => 'https://proxy.acme.corp:3128'\n"
            "GuzzleHttp\\Exception\\ConnectException: cURL error 35: error:1408F10B:SSL routines:"
            "ssl3_get_record:wrong version number (see https://curl.haxx.se/libcurl/c/libcurl-errors.html) for "
            "https://login.salesforce.com/services/oauth2/token"
        ),
        "cause": "proxy_scheme_wrong",
        "decidable": False,
        "also": ["tls_protocol"],
    },
    {
        "id": "proxy-aprity-app-407",
        "stack": "aprity-app",
        "family": "proxy",
        "text": (
            "Test Connection failed: could not reach https://acme.my.salesforce.com through the configured proxy "
            "(proxy answered 407 Proxy Authentication Required)."
        ),
        "cause": "proxy_auth_required",
        "decidable": True,
        "also": [],
    },

    # =============================================================== TLS
    {
        "id": "tls-java-pkix",
        "stack": "java/mule",
        "family": "tls",
        "text": (
            "javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath."
            "SunCertPathBuilderException: unable to find valid certification path to requested target\n"
            "\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)\n"
            "\tat java.base/sun.security.ssl.TransportContext.fatal(TransportContext.java:378)\n"
            "\tat java.base/sun.security.ssl.CertificateMessage$T13CertificateConsumer.checkServerCerts("
            "CertificateMessage.java:1357)\n"
            "\tat com.acme.sf.JwtLogin.requestToken(JwtLogin.java:88)\n"
            "Caused by: sun.security.validator.ValidatorException: PKIX path building failed: "
            "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path "
            "to requested target"
        ),
        "cause": "tls_interception",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tls-mule-pkix",
        "stack": "java/mule",
        "family": "tls",
        "text": _mule(
            "org.mule.runtime.api.connection.ConnectionException: javax.net.ssl.SSLHandshakeException: PKIX path "
            "building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid "
            "certification path to requested target",
            "SALESFORCE:CONNECTIVITY",
            "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path "
            "to requested target\n\tat sun.security.provider.certpath.SunCertPathBuilder.build("
            "SunCertPathBuilder.java:141)",
        ),
        "cause": "tls_interception",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tls-java-handshake-failure",
        "stack": "java/mule",
        "family": "tls",
        "text": (
            "javax.net.ssl.SSLHandshakeException: Received fatal alert: handshake_failure\n"
            "\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)\n"
            "\tat java.base/sun.security.ssl.Alert$AlertConsumer.consume(Alert.java:293)\n"
            "\tat com.acme.sf.JwtLogin.requestToken(JwtLogin.java:88)"
        ),
        "cause": "tls_protocol",
        "decidable": False,
        "also": ["tls_interception", "mutual_tls_certificate"],
    },
    {
        "id": "tls-java-protocol-version",
        "stack": "java/mule",
        "family": "tls",
        "text": (
            "javax.net.ssl.SSLException: Received fatal alert: protocol_version\n"
            "\tat sun.security.ssl.Alerts.getSSLException(Alerts.java:208)\n"
            "\tat sun.security.ssl.SSLSocketImpl.recvAlert(SSLSocketImpl.java:2023)\n"
            "\tat com.sforce.ws.transport.JdkHttpTransport.connectRaw(JdkHttpTransport.java:136)"
        ),
        "cause": "tls_protocol",
        "decidable": True,
        "also": [],
    },
    {
        # login.salesforce.com is always covered by Salesforce's own certificate: a name mismatch on it means
        # someone else's certificate was presented (interception). On other hosts see tls-node-altnames-*.
        "id": "tls-java-no-san",
        "stack": "java/mule",
        "family": "tls",
        "text": (
            "javax.net.ssl.SSLHandshakeException: No subject alternative DNS name matching login.salesforce.com "
            "found.\n"
            "\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)\n"
            "Caused by: java.security.cert.CertificateException: No subject alternative DNS name matching "
            "login.salesforce.com found.\n"
            "\tat java.base/sun.security.util.HostnameChecker.matchDNS(HostnameChecker.java:212)"
        ),
        "cause": "tls_interception",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tls-java-apache-san-proxy",
        "stack": "java/mule",
        "family": "tls",
        "text": (
            "javax.net.ssl.SSLPeerUnverifiedException: Certificate for <acme.my.salesforce.com> doesn't match any "
            "of the subject alternative names: [*.inspect.acme.corp, inspect.acme.corp]\n"
            "\tat org.apache.http.conn.ssl.SSLConnectionSocketFactory.verifyHostname("
            "SSLConnectionSocketFactory.java:507)"
        ),
        "cause": "tls_interception",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tls-java-mtls-8443",
        "stack": "java/mule",
        "family": "tls",
        "text": (
            "POST https://acme.my.salesforce.com:8443/services/oauth2/token\n"
            "javax.net.ssl.SSLHandshakeException: Received fatal alert: bad_certificate\n"
            "\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)\n"
            "\tat java.base/sun.security.ssl.Alert$AlertConsumer.consume(Alert.java:293)"
        ),
        "cause": "mutual_tls_certificate",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tls-python-self-signed-chain",
        "stack": "python",
        "family": "tls",
        "text": (
            "requests.exceptions.SSLError: HTTPSConnectionPool(host='login.salesforce.com', port=443): Max retries "
            "exceeded with url: /services/oauth2/token (Caused by SSLError(SSLCertVerificationError(1, '[SSL: "
            "CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain "
            "(_ssl.c:1006)')))"
        ),
        "cause": "tls_interception",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tls-python-local-issuer",
        "stack": "python",
        "family": "tls",
        "text": (
            "urllib3.exceptions.SSLError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get "
            "local issuer certificate (_ssl.c:1006)\n\nThe above exception was the direct cause of the following "
            "exception:\n...\nrequests.exceptions.SSLError: HTTPSConnectionPool(host='acme.my.salesforce.com', "
            "port=443): Max retries exceeded with url: /services/oauth2/token"
        ),
        "cause": "tls_interception",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tls-python-hostname-mismatch",
        "stack": "python",
        "family": "tls",
        "text": (
            "requests.exceptions.SSLError: HTTPSConnectionPool(host='login.salesforce.com', port=443): Max retries "
            "exceeded with url: /services/oauth2/token (Caused by SSLError(SSLCertVerificationError(1, \"[SSL: "
            "CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for "
            "'login.salesforce.com'. (_ssl.c:1006)\")))"
        ),
        "cause": "tls_interception",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tls-python-sslv3-handshake",
        "stack": "python",
        "family": "tls",
        "text": (
            "ssl.SSLError: [SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] sslv3 alert handshake failure (_ssl.c:1000)\n"
            "During handling of the above exception, another exception occurred:\n"
            "requests.exceptions.SSLError: HTTPSConnectionPool(host='acme.my.salesforce.com', port=443): Max "
            "retries exceeded with url: /services/oauth2/token"
        ),
        "cause": "tls_protocol",
        "decidable": False,
        "also": ["tls_interception"],
    },
    {
        "id": "tls-node-local-issuer-jsforce",
        "stack": "node/jsforce",
        "family": "tls",
        "text": (
            "Error: unable to get local issuer certificate\n"
            "    at TLSSocket.onConnectSecure (node:_tls_wrap:1674:34)\n"
            "    at TLSSocket.emit (node:events:517:28)\n"
            "    at TLSSocket._finishInit (node:_tls_wrap:1085:8) {\n"
            "  code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'\n}"
        ),
        "cause": "tls_interception",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tls-sfcli-self-signed-chain",
        "stack": "sf-cli",
        "family": "tls",
        "text": (
            "$ sf org login jwt --username ci@acme.com --jwt-key-file server.key --client-id " + KEY85 + "\n"
            "Error (SELF_SIGNED_CERT_IN_CHAIN): request to https://login.salesforce.com/services/oauth2/token "
            "failed, reason: self-signed certificate in certificate chain"
        ),
        "cause": "tls_interception",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tls-node-leaf-signature",
        "stack": "node/jsforce",
        "family": "tls",
        "text": (
            "FetchError: request to https://acme.my.salesforce.com/services/oauth2/token failed, reason: unable to "
            "verify the first certificate\n"
            "    at ClientRequest.<anonymous> (/srv/app/node_modules/node-fetch/lib/index.js:1505:11) {\n"
            "  type: 'system',\n  errno: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',\n  code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'\n}"
        ),
        "cause": "tls_interception",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tls-node-altnames-zscaler",
        "stack": "node/jsforce",
        "family": "tls",
        "text": (
            "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: "
            "login.salesforce.com. is not in the cert's altnames: DNS:*.gateway.zscloud.net, DNS:gateway.zscloud.net\n"
            "    at Object.checkServerIdentity (node:tls:316:12)\n"
            "    at TLSSocket.onConnectSecure (node:_tls_wrap:1668:27) {\n"
            "  reason: \"Host: login.salesforce.com. is not in the cert's altnames: DNS:*.gateway.zscloud.net, "
            "DNS:gateway.zscloud.net\",\n  host: 'login.salesforce.com',\n  code: 'ERR_TLS_CERT_ALTNAME_INVALID'\n}"
        ),
        "cause": "tls_interception",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tls-node-altnames-salesforce-cert",
        "stack": "node/jsforce",
        "family": "tls",
        "text": (
            "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: "
            "acme--uat.cs42.my.salesforce.com. is not in the cert's altnames: DNS:*.sandbox.my.salesforce.com, "
            "DNS:*.sandbox.lightning.force.com, DNS:*.sandbox.my.site.com\n"
            "    at Object.checkServerIdentity (node:tls:316:12) {\n  code: 'ERR_TLS_CERT_ALTNAME_INVALID'\n}"
        ),
        "cause": "username_or_login_url",
        "decidable": False,
        "also": ["tls_interception"],
    },
    {
        "id": "tls-node-eproto-no-proxy",
        "stack": "node/jsforce",
        "family": "tls",
        "text": (
            "loginUrl: https://acme.my.salesforce.com:80\n"
            "Error: write EPROTO 140245667489600:error:1408F10B:SSL routines:ssl3_get_record:wrong version number:"
            "../deps/openssl/openssl/ssl/record/ssl3_record.c:332:\n"
            "    at WriteWrap.onWriteComplete [as oncomplete] (node:internal/stream_base_commons:94:16) {\n"
            "  errno: -71,\n  code: 'EPROTO',\n  syscall: 'write'\n}"
        ),
        "cause": "tls_protocol",
        "decidable": False,
        "also": ["proxy_scheme_wrong", "username_or_login_url"],
    },
    {
        "id": "tls-dotnet-secure-channel",
        "stack": "dotnet",
        "family": "tls",
        "text": (
            "System.Net.WebException: The request was aborted: Could not create SSL/TLS secure channel.\n"
            "   at System.Net.HttpWebRequest.GetResponse()\n"
            "   at Acme.Crm.SalesforceJwt.RequestToken(String assertion) in C:\\src\\Acme.Crm\\SalesforceJwt.cs:line 81"
        ),
        "cause": "tls_protocol",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tls-dotnet-remote-cert-invalid",
        "stack": "dotnet",
        "family": "tls",
        "text": (
            "System.Net.Http.HttpRequestException: The SSL connection could not be established, see inner "
            "exception.\n"
            " ---> System.Security.Authentication.AuthenticationException: The remote certificate is invalid "
            "according to the validation procedure: RemoteCertificateChainErrors\n"
            "   at System.Net.Security.SslStream.SendAuthResetSignal(ProtocolToken message, ExceptionDispatchInfo "
            "exception)\n"
            "   --- End of inner exception stack trace ---\n"
            "   at Acme.Sync.SalesforceAuth.GetTokenAsync() in /src/Acme.Sync/SalesforceAuth.cs:line 57"
        ),
        "cause": "tls_interception",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tls-guzzle-curl60",
        "stack": "php",
        "family": "tls",
        "text": (
            "GuzzleHttp\\Exception\\RequestException: cURL error 60: SSL certificate problem: unable to get local "
            "issuer certificate (see https://curl.haxx.se/libcurl/c/libcurl-errors.html) for "
            "https://login.salesforce.com/services/oauth2/token in /var/www/vendor/guzzlehttp/guzzle/src/Handler/"
            "CurlFactory.php:211"
        ),
        "cause": "tls_interception",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tls-ruby-self-signed-chain",
        "stack": "ruby",
        "family": "tls",
        "text": (
            "Faraday::SSLError: SSL_connect returned=1 errno=0 peeraddr=10.20.0.5:8080 state=error: certificate "
            "verify failed (self-signed certificate in certificate chain)\n"
            "/usr/local/lib/ruby/3.2.0/net/protocol.rb:46:in `connect_nonblock'\n"
            "/usr/local/bundle/gems/restforce-7.3.0/lib/restforce/middleware/authentication.rb:25:in `authenticate!'"
        ),
        "cause": "tls_interception",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tls-curl-mtls-certificate-required",
        "stack": "curl",
        "family": "tls",
        "text": (
            "$ curl https://acme.my.salesforce.com:8443/services/oauth2/token -d grant_type=urn:ietf:params:oauth:"
            "grant-type:jwt-bearer -d assertion=$JWT\n"
            "curl: (56) OpenSSL SSL_read: OpenSSL/3.0.13: error:0A00045C:SSL routines::tlsv13 alert certificate "
            "required, errno 0"
        ),
        "cause": "mutual_tls_certificate",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tls-curl60-self-signed",
        "stack": "curl",
        "family": "tls",
        "text": (
            "curl: (60) SSL certificate problem: self-signed certificate in certificate chain\n"
            "More details here: https://curl.se/docs/sslcerts.html\n\n"
            "curl failed to verify the legitimacy of the server and therefore could not\n"
            "establish a secure connection to it."
        ),
        "cause": "tls_interception",
        "decidable": True,
        "also": [],
    },
    {
        "id": "tls-aprity-app-verify",
        "stack": "aprity-app",
        "family": "tls",
        "text": (
            "Test Connection failed: TLS handshake with login.salesforce.com failed: certificate verify failed "
            "(unable to get local issuer certificate)"
        ),
        "cause": "tls_interception",
        "decidable": True,
        "also": [],
    },

    # =============================================================== local key file
    {
        "id": "key-python-openssh-deserialize",
        "stack": "python",
        "family": "key_file",
        "text": (
            "$ head -1 ~/.ssh/id_rsa\n" + OPENSSH_HEAD + "\n"
            "Traceback (most recent call last):\n"
            "  File \"/opt/etl/.venv/lib/python3.11/site-packages/jwt/algorithms.py\", line 345, in prepare_key\n"
            "    return cast(RSAPrivateKey, load_pem_private_key(key_bytes, password=None))\n"
            "ValueError: ('Could not deserialize key data. The data may be in an incorrect format, it may be "
            "encrypted with an unsupported algorithm, or it may be an unsupported key type (e.g. EC curves with "
            "explicit parameters).', [<OpenSSLError(code=503841036, lib=60, reason=524556, "
            "reason_text=unsupported)>])"
        ),
        "cause": "private_key_invalid",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-node-openssh-decoder",
        "stack": "node/jsforce",
        "family": "key_file",
        "text": (
            "key file: /srv/app/keys/id_rsa (" + OPENSSH_HEAD + ")\n"
            "Error: error:1E08010C:DECODER routines::unsupported\n"
            "    at Sign.sign (node:internal/crypto/sig:128:29)\n"
            "    at Object.sign (/srv/app/node_modules/jwa/index.js:152:45)\n"
            "    at Object.jwsSign [as sign] (/srv/app/node_modules/jws/lib/sign-stream.js:32:24) {\n"
            "  library: 'DECODER routines',\n  reason: 'unsupported',\n  code: 'ERR_OSSL_UNSUPPORTED'\n}"
        ),
        "cause": "private_key_invalid",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-java-openssh-invalid-key-spec",
        "stack": "java/mule",
        "family": "key_file",
        "text": (
            "First line of /opt/app/keys/salesforce.key: " + OPENSSH_HEAD + "\n"
            "java.security.spec.InvalidKeySpecException: java.security.InvalidKeyException: invalid key format\n"
            "\tat java.base/sun.security.rsa.RSAKeyFactory.engineGeneratePrivate(RSAKeyFactory.java:251)\n"
            "\tat java.base/java.security.KeyFactory.generatePrivate(KeyFactory.java:390)\n"
            "\tat com.acme.sf.KeyLoader.load(KeyLoader.java:33)"
        ),
        "cause": "private_key_invalid",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-prose-openssh",
        "stack": "other",
        "family": "key_file",
        "text": (
            "Our key file starts with " + OPENSSH_HEAD + " and the JWT login fails before anything is sent. "
            "We generated it with ssh-keygen -t rsa -b 4096."
        ),
        "cause": "private_key_invalid",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-java-algid-pkcs1",
        "stack": "java/mule",
        "family": "key_file",
        "text": (
            "java.security.spec.InvalidKeySpecException: java.security.InvalidKeyException: IOException : algid "
            "parse error, not a sequence\n"
            "\tat java.base/sun.security.rsa.RSAKeyFactory.engineGeneratePrivate(RSAKeyFactory.java:251)\n"
            "\tat java.base/java.security.KeyFactory.generatePrivate(KeyFactory.java:390)\n"
            "\tat com.acme.sf.KeyLoader.load(KeyLoader.java:41)"
        ),
        "cause": "private_key_invalid",
        "decidable": True,
        "also": [],
    },
    {
        # '.' (0x2e) is the first non-base64 character of both a JWT and a file path passed as the key's content.
        "id": "key-java-illegal-base64-jwt",
        "stack": "java/mule",
        "family": "key_file",
        "text": (
            "java.lang.IllegalArgumentException: Illegal base64 character 2e\n"
            "\tat java.base/java.util.Base64$Decoder.decode0(Base64.java:848)\n"
            "\tat java.base/java.util.Base64$Decoder.decode(Base64.java:566)\n"
            "\tat com.acme.sf.KeyLoader.privateKeyFromString(KeyLoader.java:27)\n"
            "\tat com.acme.sf.JwtLogin.sign(JwtLogin.java:52)"
        ),
        "cause": "private_key_invalid",
        "decidable": False,
        "also": ["local_key_unreadable"],
    },
    {
        "id": "key-java-ec-provider",
        "stack": "java/mule",
        "family": "key_file",
        "text": (
            "java.security.InvalidKeyException: No installed provider supports this key: "
            "sun.security.ec.ECPrivateKeyImpl\n"
            "\tat java.base/java.security.Signature$Delegate.chooseProvider(Signature.java:1163)\n"
            "\tat java.base/java.security.Signature$Delegate.engineInitSign(Signature.java:1247)\n"
            "\tat io.jsonwebtoken.impl.crypto.RsaSigner.doSign(RsaSigner.java:48)"
        ),
        "cause": "private_key_invalid",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-mule-keystore-password",
        "stack": "java/mule",
        "family": "key_file",
        "text": _mule(
            "org.mule.runtime.api.connection.ConnectionException: Keystore was tampered with, or password was "
            "incorrect",
            "SALESFORCE:INVALID_INPUT",
            "java.security.UnrecoverableKeyException: Password verification failed\n"
            "\tat java.base/sun.security.provider.JavaKeyStore.engineLoad(JavaKeyStore.java:791)\n"
            "java.io.IOException: Keystore was tampered with, or password was incorrect\n"
            "\tat java.base/sun.security.provider.JavaKeyStore.engineLoad(JavaKeyStore.java:793)\n"
            "\tat org.mule.extension.salesforce.internal.connection.provider.OAuthJwtConnectionProvider.keyStore("
            "OAuthJwtConnectionProvider.java:112)",
        ),
        "cause": "local_key_passphrase",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-mule-keystore-missing",
        "stack": "java/mule",
        "family": "key_file",
        "text": _mule(
            "org.mule.runtime.api.connection.ConnectionException: /opt/mule/apps/acme-sync/keys/salesforce.jks "
            "(No such file or directory)",
            "SALESFORCE:INVALID_INPUT",
            "java.io.FileNotFoundException: /opt/mule/apps/acme-sync/keys/salesforce.jks (No such file or directory)\n"
            "\tat java.base/java.io.FileInputStream.open0(Native Method)\n"
            "\tat java.base/java.io.FileInputStream.<init>(FileInputStream.java:157)",
        ),
        "cause": "local_key_unreadable",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-java-permission-denied",
        "stack": "java/mule",
        "family": "key_file",
        "text": (
            "java.io.FileNotFoundException: /etc/acme/sf/server.key (Permission denied)\n"
            "\tat java.base/java.io.FileInputStream.open0(Native Method)\n"
            "\tat java.base/java.nio.file.Files.readAllBytes(Files.java:3288)\n"
            "\tat com.acme.sf.KeyLoader.load(KeyLoader.java:22)"
        ),
        "cause": "local_key_unreadable",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-java-bouncycastle-password",
        "stack": "java/mule",
        "family": "key_file",
        "text": (
            "org.bouncycastle.openssl.EncryptionException: exception using cipher - please check password and data.\n"
            "\tat org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder$1$1.getInputStream(...)\n"
            "\tat org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo.decryptPrivateKeyInfo("
            "PKCS8EncryptedPrivateKeyInfo.java:73)\n"
            "\tat com.acme.sf.KeyLoader.load(KeyLoader.java:58)"
        ),
        "cause": "local_key_passphrase",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-node-enoent",
        "stack": "node/jsforce",
        "family": "key_file",
        "text": (
            "node:fs:453\n    return binding.readFileUtf8(path, stringToFlags(options.flag));\n                   ^\n\n"
            "Error: ENOENT: no such file or directory, open '/srv/app/certs/server.key'\n"
            "    at Object.readFileSync (node:fs:453:20)\n"
            "    at getToken (/srv/app/dist/salesforce.js:12:23) {\n"
            "  errno: -2,\n  code: 'ENOENT',\n  syscall: 'open',\n  path: '/srv/app/certs/server.key'\n}"
        ),
        "cause": "local_key_unreadable",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-sfcli-enoent",
        "stack": "sf-cli",
        "family": "key_file",
        "text": (
            "Run sf org login jwt --username ci@acme.com --jwt-key-file assets/server.key --client-id $SF_CLIENT_ID "
            "--alias ci\n"
            "Error (ENOENT): ENOENT: no such file or directory, open '/home/runner/work/acme/acme/assets/server.key'\n"
            "Error: Process completed with exit code 1."
        ),
        "cause": "local_key_unreadable",
        "decidable": True,
        "also": [],
    },
    {
        # negative control: ENOENT on a file that is not a key must not be read as a key problem; answering
        # "nothing recognised" (or unknown) is right.
        "id": "key-sfcli-enoent-not-a-key",
        "stack": "sf-cli",
        "family": "key_file",
        "text": (
            "Error (ENOENT): ENOENT: no such file or directory, open '/home/runner/work/acme/acme/sfdx-project.json'"
        ),
        "cause": "unknown",
        "decidable": False,
        "also": [],
    },
    {
        "id": "key-node-bad-decrypt",
        "stack": "node/jsforce",
        "family": "key_file",
        "text": (
            "Error: error:1C800064:Provider routines::bad decrypt\n"
            "    at Object.createPrivateKey (node:internal/crypto/keys:620:12)\n"
            "    at loadKey (/srv/app/dist/salesforce.js:18:17) {\n"
            "  library: 'Provider routines',\n  reason: 'bad decrypt',\n  code: 'ERR_OSSL_BAD_DECRYPT'\n}"
        ),
        "cause": "local_key_passphrase",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-openssl-evp-bad-decrypt",
        "stack": "other",
        "family": "key_file",
        "text": (
            "$ openssl rsa -in salesforce.key -check -noout\nEnter pass phrase for salesforce.key:\n"
            "Could not read private key from salesforce.key\n"
            "140245667489600:error:06065064:digital envelope routines:EVP_DecryptFinal_ex:bad decrypt:"
            "crypto/evp/evp_enc.c:610:\n"
            "140245667489600:error:0906A065:PEM routines:PEM_do_header:bad decrypt:crypto/pem/pem_lib.c:461:"
        ),
        "cause": "local_key_passphrase",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-node-passphrase-required",
        "stack": "node/jsforce",
        "family": "key_file",
        "text": (
            "key: " + ENC_HEAD + "\n"
            "TypeError: Passphrase required for encrypted key\n"
            "    at Object.createPrivateKey (node:internal/crypto/keys:620:12)\n"
            "    at Object.sign (/srv/app/node_modules/jsonwebtoken/sign.js:124:38) {\n"
            "  code: 'ERR_MISSING_PASSPHRASE'\n}"
        ),
        "cause": "local_key_passphrase",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-jsonwebtoken-asymmetric",
        "stack": "node/jsforce",
        "family": "key_file",
        "text": (
            "Error: secretOrPrivateKey must be an asymmetric key when using RS256\n"
            "    at module.exports [as sign] (/srv/app/node_modules/jsonwebtoken/sign.js:124:22)\n"
            "    at buildAssertion (/srv/app/dist/salesforce.js:31:14)"
        ),
        "cause": "private_key_invalid",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-jsonwebtoken-ec-key",
        "stack": "node/jsforce",
        "family": "key_file",
        "text": (
            "Error: \"alg\" parameter for \"ec\" key type must be one of: ES256, ES384, ES512.\n"
            "    at validateKey (/srv/app/node_modules/jsonwebtoken/lib/validateAsymmetricKey.js:58:11)\n"
            "    at module.exports [as sign] (/srv/app/node_modules/jsonwebtoken/sign.js:150:7)"
        ),
        "cause": "private_key_invalid",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-python-file-not-found",
        "stack": "python",
        "family": "key_file",
        "text": (
            "Traceback (most recent call last):\n"
            "  File \"/opt/etl/sync.py\", line 18, in <module>\n"
            "    with open(os.environ['SF_KEY_FILE'], 'rb') as fh:\n"
            "FileNotFoundError: [Errno 2] No such file or directory: '/etc/secrets/salesforce.key'"
        ),
        "cause": "local_key_unreadable",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-python-permission-denied",
        "stack": "python",
        "family": "key_file",
        "text": (
            "  File \"/opt/etl/.venv/lib/python3.11/site-packages/simple_salesforce/login.py\", line 205, in "
            "SalesforceLogin\n    with open(privatekey_file, 'rb') as key_file:\n"
            "PermissionError: [Errno 13] Permission denied: '/etc/secrets/salesforce.pem'"
        ),
        "cause": "local_key_unreadable",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-python-bad-decrypt",
        "stack": "python",
        "family": "key_file",
        "text": (
            "  File \"/opt/etl/.venv/lib/python3.11/site-packages/cryptography/hazmat/primitives/serialization/"
            "base.py\", line 25, in load_pem_private_key\n"
            "    return rust_openssl.keys.load_pem_private_key(\n"
            "ValueError: Bad decrypt. Incorrect password?"
        ),
        "cause": "local_key_passphrase",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-python-certificate-given",
        "stack": "python",
        "family": "key_file",
        "text": (
            "privatekey_file=/opt/etl/server.crt   # first line: " + CERT_HEAD + "\n"
            "ValueError: Could not deserialize key data. The data may be in an incorrect format, it may be "
            "encrypted with an unsupported algorithm, or it may be an unsupported key type (e.g. EC curves with "
            "explicit parameters). Details: ASN.1 parsing error: unexpected tag (got Tag { value: 16, constructed: "
            "true, class: Universal })"
        ),
        "cause": "private_key_invalid",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-ruby-enoent",
        "stack": "ruby",
        "family": "key_file",
        "text": (
            "Errno::ENOENT: No such file or directory @ rb_sysopen - config/salesforce/server.key\n"
            "/app/lib/salesforce_client.rb:14:in `read'\n/app/lib/salesforce_client.rb:14:in `jwt_key'"
        ),
        "cause": "local_key_unreadable",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-ruby-pkey-openssh",
        "stack": "ruby",
        "family": "key_file",
        "text": (
            "OpenSSL::PKey::PKeyError: Could not parse PKey: unsupported\n"
            "/usr/local/bundle/gems/restforce-7.3.0/lib/restforce/concerns/authentication.rb:46:in `read'\n"
            "/usr/local/bundle/gems/restforce-7.3.0/lib/restforce/middleware/authentication/jwt_bearer.rb:20:in "
            "`params'"
        ),
        "cause": "private_key_invalid",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-ruby-neither-pub-priv",
        "stack": "ruby",
        "family": "key_file",
        "text": "OpenSSL::PKey::RSAError (Neither PUB key nor PRIV key: nested asn1 error)",
        "cause": "private_key_invalid",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-php-file-get-contents",
        "stack": "php",
        "family": "key_file",
        "text": (
            "PHP Warning:  file_get_contents(/var/www/storage/keys/salesforce.pem): Failed to open stream: No such "
            "file or directory in /var/www/app/Salesforce/JwtAuth.php on line 22\n"
            "PHP Warning:  openssl_sign(): Supplied key param cannot be coerced into a private key in "
            "/var/www/app/Salesforce/JwtAuth.php on line 31"
        ),
        "cause": "local_key_unreadable",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-php-firebase-unable-to-sign",
        "stack": "php",
        "family": "key_file",
        "text": (
            "DomainException: OpenSSL unable to sign data in /var/www/vendor/firebase/php-jwt/src/JWT.php:253\n"
            "Stack trace:\n#0 /var/www/vendor/firebase/php-jwt/src/JWT.php(208): Firebase\\JWT\\JWT::sign('eyJ0eXAiOiJKV1Qi...', "
            "'/var/www/keys/s...', 'RS256')\n#1 /var/www/app/Salesforce/JwtAuth.php(40): Firebase\\JWT\\JWT::encode(Array, "
            "'/var/www/keys/s...', 'RS256')"
        ),
        "cause": "private_key_invalid",
        "decidable": False,
        "also": ["local_key_unreadable"],
    },
    {
        "id": "key-dotnet-no-supported-formats",
        "stack": "dotnet",
        "family": "key_file",
        "text": (
            "System.ArgumentException: No supported key formats were found. Check that the input represents the "
            "contents of a PEM-encoded key file, not the path to such a file. (Parameter 'input')\n"
            "   at System.Security.Cryptography.PemKeyHelpers.ImportPem(ReadOnlySpan`1 input, ImportKeyAction callback)\n"
            "   at System.Security.Cryptography.RSA.ImportFromPem(ReadOnlySpan`1 input)\n"
            "   at Acme.Sync.JwtBuilder.LoadKey(String pem) in /src/Acme.Sync/JwtBuilder.cs:line 19"
        ),
        "cause": "private_key_invalid",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-dotnet-file-not-found",
        "stack": "dotnet",
        "family": "key_file",
        "text": (
            "Unhandled exception. System.IO.FileNotFoundException: Could not find file 'C:\\ProgramData\\Acme\\keys\\"
            "salesforce.key'.\n"
            "File name: 'C:\\ProgramData\\Acme\\keys\\salesforce.key'\n"
            "   at System.IO.File.ReadAllText(String path)\n"
            "   at Acme.Sync.JwtBuilder.LoadKey() in C:\\src\\Acme.Sync\\JwtBuilder.cs:line 15"
        ),
        "cause": "local_key_unreadable",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-dotnet-asn1-corrupted",
        "stack": "dotnet",
        "family": "key_file",
        "text": (
            "System.Security.Cryptography.CryptographicException: ASN1 corrupted data.\n"
            " ---> System.Formats.Asn1.AsnContentException: The encoded length exceeds the maximum supported by this "
            "library (Int32.MaxValue).\n"
            "   at System.Security.Cryptography.RSA.ImportRSAPrivateKey(ReadOnlySpan`1 source, Int32& bytesRead)\n"
            "   at Acme.Sync.JwtBuilder.LoadKey(String pem) in /src/Acme.Sync/JwtBuilder.cs:line 23"
        ),
        "cause": "private_key_invalid",
        "decidable": True,
        "also": [],
    },
    {
        "id": "key-sfcli-pem-no-start-line",
        "stack": "sf-cli",
        "family": "key_file",
        "text": (
            "Error (1): error:1E08010C:DECODER routines::unsupported\n"
            "Try this:\nCheck that the key file is a PEM private key."
        ),
        "cause": "private_key_invalid",
        "decidable": True,
        "also": [],
    },

    # =============================================================== SOAP / REST login
    {
        "id": "soap-wsc-invalid-login",
        "stack": "java/mule",
        "family": "soap_rest_login",
        "text": (
            "[LoginFault [ApiFault  exceptionCode='INVALID_LOGIN'\n"
            " exceptionMessage='Invalid username, password, security token; or user locked out.'\n"
            " extendedErrorDetails='{[0]}'\n]\n]\n"
            "\tat com.sforce.soap.partner.LoginFault.load(LoginFault.java:65)\n"
            "\tat com.sforce.soap.partner.PartnerConnection.login(PartnerConnection.java:1037)"
        ),
        "cause": "not_jwt_flow",
        "decidable": True,
        "also": [],
    },
    {
        "id": "soap-mule-invalid-login",
        "stack": "java/mule",
        "family": "soap_rest_login",
        "text": _mule(
            "org.mule.runtime.api.connection.ConnectionException: INVALID_LOGIN: Invalid username, password, "
            "security token; or user locked out.",
            "SALESFORCE:INVALID_CREDENTIALS",
            "",
        ),
        "cause": "not_jwt_flow",
        "decidable": True,
        "also": [],
    },
    {
        "id": "soap-simple-sf-invalid-login",
        "stack": "python",
        "family": "soap_rest_login",
        "text": (
            "simple_salesforce.exceptions.SalesforceAuthenticationFailed: INVALID_LOGIN: Invalid username, password, "
            "security token; or user locked out."
        ),
        "cause": "not_jwt_flow",
        "decidable": True,
        "also": [],
    },
    {
        "id": "soap-dotnet-invalid-login",
        "stack": "dotnet",
        "family": "soap_rest_login",
        "text": (
            "System.Web.Services.Protocols.SoapException: INVALID_LOGIN: Invalid username, password, security token; "
            "or user locked out.\n"
            "   at System.Web.Services.Protocols.SoapHttpClientProtocol.ReadResponse(SoapClientMessage message, "
            "WebResponse response, Stream responseStream, Boolean asyncCall)\n"
            "   at Acme.Crm.SforceService.login(String username, String password)"
        ),
        "cause": "not_jwt_flow",
        "decidable": True,
        "also": [],
    },
    {
        "id": "soap-php-soapfault-invalid-login",
        "stack": "php",
        "family": "soap_rest_login",
        "text": (
            "PHP Fatal error:  Uncaught SoapFault exception: [sf:INVALID_LOGIN] INVALID_LOGIN: Invalid username, "
            "password, security token; or user locked out. in /var/www/vendor/developerforce/force.com-toolkit-for-"
            "php/soapclient/SforceBaseClient.php:174"
        ),
        "cause": "not_jwt_flow",
        "decidable": True,
        "also": [],
    },
    {
        "id": "soap-jsforce-invalid-login",
        "stack": "node/jsforce",
        "family": "soap_rest_login",
        "text": (
            "Error: INVALID_LOGIN: Invalid username, password, security token; or user locked out.\n"
            "    at SOAP.getError (/srv/app/node_modules/jsforce/lib/soap.js:155:13)\n"
            "    at Connection.login (/srv/app/node_modules/jsforce/lib/connection.js:771:15)"
        ),
        "cause": "not_jwt_flow",
        "decidable": True,
        "also": [],
    },
    {
        "id": "rest-jsforce-not-valid-for-rest",
        "stack": "node/jsforce",
        "family": "soap_rest_login",
        "text": (
            "INVALID_SESSION_ID: This session is not valid for use with the REST API\n"
            "    at HttpApi.getError (/srv/app/node_modules/jsforce/lib/http-api.js:250:13)\n"
            "    at /srv/app/node_modules/jsforce/lib/http-api.js:95:22 {\n"
            "  errorCode: 'INVALID_SESSION_ID'\n}"
        ),
        "cause": "oauth_not_enabled_or_scopes",
        "decidable": False,
        "also": ["rest_session_invalid"],
    },
    {
        "id": "rest-simple-sf-not-valid-for-rest",
        "stack": "python",
        "family": "soap_rest_login",
        "text": (
            "simple_salesforce.exceptions.SalesforceExpiredSession: Expired session for https://acme.my.salesforce.com"
            "/services/data/v59.0/query/?q=SELECT+Id+FROM+Account. Response content: [{'message': 'This session is "
            "not valid for use with the REST API', 'errorCode': 'INVALID_SESSION_ID'}]"
        ),
        "cause": "oauth_not_enabled_or_scopes",
        "decidable": False,
        "also": ["rest_session_invalid"],
    },
    {
        "id": "rest-session-expired-restforce",
        "stack": "ruby",
        "family": "soap_rest_login",
        "text": (
            "Restforce::UnauthorizedError: INVALID_SESSION_ID: Session expired or invalid\n"
            "/usr/local/bundle/gems/restforce-7.3.0/lib/restforce/middleware/raise_error.rb:14:in `on_complete'"
        ),
        "cause": "session_expired",
        "decidable": True,
        "also": [],
    },
    {
        "id": "rest-invalid-session-lowercase",
        "stack": "python",
        "family": "soap_rest_login",
        "text": "2026-11-03 10:05:12,003 ERROR salesforce_sync.client: query failed (401): invalid session id",
        "cause": "session_expired",
        "decidable": False,
        "also": ["rest_session_invalid"],
    },
    {
        "id": "rest-invalid-session-spaced-aprity-app",
        "stack": "aprity-app",
        "family": "soap_rest_login",
        "text": "Scan stopped at 10:05: Salesforce said INVALID SESSION ID: Session expired or invalid",
        "cause": "session_expired",
        "decidable": True,
        "also": [],
    },
    {
        "id": "soap-illegal-session",
        "stack": "php",
        "family": "soap_rest_login",
        "text": (
            "SoapFault exception: [sf:INVALID_SESSION_ID] INVALID_SESSION_ID: Invalid Session ID found in "
            "SessionHeader: Illegal Session. Session not found, missing session hash: "
            "[REDACTED] in /var/www/vendor/developerforce/force.com-toolkit-for-php/soapclient/SforceBaseClient.php:174"
        ),
        "cause": "session_expired",
        "decidable": False,
        "also": ["rest_session_invalid"],
    },

    # =============================================================== wrappers hiding the answer
    {
        "id": "wrap-apex-nc-jwt-exchange",
        "stack": "apex",
        "family": "wrapper",
        "text": (
            "09:56:30.0 (8568705)|CALLOUT_REQUEST|[85]|System.HttpRequest[Endpoint=callout:Acme_Org/services/data/"
            "v61.0/query?q=SELECT+Id+FROM+Account, Method=GET]\n"
            "09:56:30.76 (76404970)|NAMED_CREDENTIAL_RESPONSE|NamedCallout[Named Credential Id=null, Named "
            "Credential Name=null, Status Code=0, Content-Type=null, Response Size bytes=0, Overall Callout Time "
            "ms=0, Connect Time ms=0\n"
            "09:56:30.0 (77389457)|FATAL_ERROR|System.CalloutException: Unable to complete the JWT token exchange."
        ),
        "cause": "wrapper_hid_answer",
        "decidable": True,
        "also": [],
    },
    {
        "id": "wrap-apex-nc-jwt-exchange-with-detail",
        "stack": "apex",
        "family": "wrapper",
        "text": (
            "10:14:02.0 (91022311)|FATAL_ERROR|System.CalloutException: Unable to complete the JWT token exchange. "
            "Error: invalid_grant. Error description: user hasn't approved this consumer."
        ),
        "cause": "user_not_preauthorized",
        "decidable": False,
        "also": ["username_or_login_url"],
    },
    {
        "id": "wrap-apex-nc-fetch-token",
        "stack": "apex",
        "family": "wrapper",
        "text": (
            "Line: 12, Column: 1\nSystem.CalloutException: Unable to fetch the OAuth token. Check the external "
            "credential configuration.\nClass.AcmeOrgSync.run: line 12, column 1"
        ),
        "cause": "wrapper_hid_answer",
        "decidable": True,
        "also": [],
    },
    {
        "id": "wrap-mule-connection-exception",
        "stack": "java/mule",
        "family": "wrapper",
        "text": _mule(
            "org.mule.runtime.api.connection.ConnectionException: Failed to obtain an access token using the "
            "OAuth JWT flow",
            "SALESFORCE:CONNECTIVITY",
            "org.mule.runtime.api.connection.ConnectionException: Failed to obtain an access token using the OAuth "
            "JWT flow\n\tat org.mule.extension.salesforce.internal.connection.provider.OAuthJwtConnectionProvider."
            "connect(OAuthJwtConnectionProvider.java:98)",
        ),
        "cause": "wrapper_hid_answer",
        "decidable": True,
        "also": [],
    },
    {
        "id": "wrap-mule-with-body",
        "stack": "java/mule",
        "family": "wrapper",
        "text": _mule(
            "org.mule.runtime.api.connection.ConnectionException: Failed to obtain an access token using the "
            "OAuth JWT flow",
            "SALESFORCE:CONNECTIVITY",
            "org.apache.cxf.transport.http.HTTPException: HTTP response '400: Bad Request' when communicating with "
            "https://login.salesforce.com/services/oauth2/token\n"
            "response body: {\"error\":\"invalid_grant\",\"error_description\":\"invalid assertion\"}",
        ),
        "cause": "certificate_mismatch",
        "decidable": False,
        "also": ["username_or_login_url", "digital_signatures_disabled"],
    },
    {
        "id": "wrap-boomi",
        "stack": "other",
        "family": "wrapper",
        "text": (
            "Salesforce Connector: Test Connection failed\n"
            "com.boomi.connector.api.ConnectorException: Unable to obtain an access token from "
            "https://login.salesforce.com/services/oauth2/token: status 400 (Bad Request)"
        ),
        "cause": "wrapper_hid_answer",
        "decidable": True,
        "also": [],
    },
    {
        "id": "wrap-talend",
        "stack": "java/mule",
        "family": "wrapper",
        "text": (
            "Exception in component tSalesforceConnection_1 (AccountSync)\n"
            "java.io.IOException: com.sforce.ws.ConnectionException: Failed to get the OAuth JWT access token\n"
            "\tat org.talend.components.salesforce.runtime.SalesforceSourceOrSink.connect("
            "SalesforceSourceOrSink.java:311)\n"
            "\tat acme.accountsync_0_1.AccountSync.tSalesforceConnection_1Process(AccountSync.java:1120)"
        ),
        "cause": "wrapper_hid_answer",
        "decidable": True,
        "also": [],
    },
    {
        "id": "wrap-refresh-loop",
        "stack": "node/jsforce",
        "family": "wrapper",
        "text": (
            "2026-11-03T10:00:01.002Z [sf] access token expired, refreshing\n"
            "2026-11-03T10:00:01.410Z [sf] refresh failed, retrying in 1s\n"
            "2026-11-03T10:00:02.415Z [sf] access token expired, refreshing\n"
            "2026-11-03T10:00:02.801Z [sf] refresh failed, retrying in 1s\n"
            "2026-11-03T10:00:03.806Z [sf] access token expired, refreshing\n"
            "2026-11-03T10:00:04.190Z [sf] refresh failed, retrying in 1s\n"
            "... (repeated 412 times)"
        ),
        "cause": "wrapper_hid_answer",
        "decidable": False,
        "also": ["login_rate_exceeded", "session_expired"],
    },
    {
        "id": "wrap-generic-400-no-body",
        "stack": "other",
        "family": "wrapper",
        "text": "[ERROR] 2026-11-03 10:00:00 salesforce-connector: token request failed: HTTP 400 Bad Request",
        "cause": "wrapper_hid_answer",
        "decidable": True,
        "also": [],
    },
    {
        "id": "wrap-sfcli-empty-list",
        "stack": "sf-cli",
        "family": "wrapper",
        "text": (
            "Error (JwtGrantError): We encountered a JSON web token error, which is likely not an issue with "
            "Salesforce CLI. Here\u2019s the error: JwtAuthError::Error authenticating with JWT."
        ),
        "cause": "wrapper_hid_answer",
        "decidable": True,
        "also": [],
    },

    # =============================================================== bare / generic
    {
        "id": "gen-restforce-authentication-failure",
        "stack": "ruby",
        "family": "generic",
        "text": "Restforce::AuthenticationError: invalid_grant: authentication failure (400)",
        "cause": "not_jwt_flow",
        "decidable": False,
        "also": ["unknown"],
    },
    {
        "id": "gen-bare-authentication-failure",
        "stack": "other",
        "family": "generic",
        "text": "Sync job 4411 failed at 10:00 UTC: Salesforce: authentication failure",
        "cause": "not_jwt_flow",
        "decidable": False,
        "also": ["wrapper_hid_answer", "unknown"],
    },
    {
        "id": "gen-curl-json-body-unsupported-grant",
        "stack": "curl",
        "family": "generic",
        "text": (
            "$ curl -s https://login.salesforce.com/services/oauth2/token -H 'Content-Type: application/json' "
            "-d '{\"grant_type\":\"urn:ietf:params:oauth:grant-type:jwt-bearer\",\"assertion\":\"...\"}'\n"
            "{\"error\":\"unsupported_grant_type\",\"error_description\":\"grant type not supported\"}"
        ),
        "cause": "request_malformed",
        "decidable": True,
        "also": [],
    },
    {
        "id": "gen-jsforce-unsupported-grant",
        "stack": "node/jsforce",
        "family": "generic",
        "text": (
            "unsupported_grant_type: grant type not supported\n"
            "    at OAuth2._postParams (/srv/app/node_modules/jsforce/lib/oauth2.js:238:17) {\n"
            "  name: 'unsupported_grant_type'\n}"
        ),
        # relabelled (issue 18 lists unsupported_grant_type among the generic answers): the bare code does not
        # say whether the body, the grant_type value or the flow itself is wrong
        "cause": "request_malformed",
        "decidable": False,
        "also": ["not_jwt_flow"],
    },
    {
        "id": "gen-invalid-request-https-required",
        "stack": "curl",
        "family": "generic",
        "text": (
            "$ curl -s http://acme.my.salesforce.com/services/oauth2/token -d grant_type=... -d assertion=...\n"
            "{\"error\":\"invalid_request\",\"error_description\":\"HTTPS required\"}"
        ),
        "cause": "request_malformed",
        "decidable": True,
        "also": [],
    },
    {
        "id": "gen-invalid-request-must-post",
        "stack": "dotnet",
        "family": "generic",
        "text": (
            "fail: Acme.Sync.SalesforceAuth[0]\n      GET https://acme.my.salesforce.com/services/oauth2/token?"
            "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer -> 400 "
            "{\"error\":\"invalid_request\",\"error_description\":\"Must use HTTP POST\"}"
        ),
        "cause": "request_malformed",
        "decidable": True,
        "also": [],
    },
    {
        "id": "gen-bare-invalid-request",
        "stack": "python",
        "family": "generic",
        "text": "SalesforceAuthenticationFailed: invalid_request",
        "cause": "request_malformed",
        "decidable": False,
        "also": ["unknown"],
    },
    {
        "id": "gen-no-valid-scopes",
        "stack": "php",
        "family": "generic",
        "text": "{\"error\":\"invalid_grant\",\"error_description\":\"no valid scopes defined\"}",
        "cause": "not_jwt_flow",
        "decidable": True,
        "also": [],
    },
    {
        "id": "gen-code-only-invalid-grant",
        "stack": "aprity-app",
        "family": "generic",
        "text": "Test Connection failed: invalid_grant",
        "cause": "unknown",
        "decidable": False,
        "also": [],
    },
]


def by_id(ident: str) -> dict:
    return next(e for e in CORPUS if e["id"] == ident)
