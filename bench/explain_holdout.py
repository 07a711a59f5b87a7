"""Held-out texts for bench/bench_explain.py: written after the family recognisers, never used to tune them.

Other runtimes (Go, httpx, aiohttp, PyJWT, .NET PFX…) and other wordings of the same families, plus negative
controls (family words around another failure). Kept out of the test suite on purpose: a score, not a gate.
"""

from __future__ import annotations

# (id, text, expected top-1 cause, decidable)
HOLDOUT = [
    ("go-proxy-407", 'Post "https://login.salesforce.com/services/oauth2/token": Proxy Authentication Required',
     "proxy_auth_required", True),
    ("go-x509-unknown-authority", 'Post "https://login.salesforce.com/services/oauth2/token": tls: failed to verify '
     "certificate: x509: certificate signed by unknown authority", "tls_interception", True),
    ("go-x509-name", 'Post "https://acme.my.salesforce.com/services/oauth2/token": tls: failed to verify certificate: '
     "x509: certificate is valid for *.gateway.zscloud.net, gateway.zscloud.net, not acme.my.salesforce.com",
     "tls_interception", True),
    ("java-no-appropriate-protocol", "javax.net.ssl.SSLHandshakeException: No appropriate protocol (protocol is "
     "disabled or cipher suites are inappropriate)\n\tat java.base/sun.security.ssl.HandshakeContext.<init>"
     "(HandshakeContext.java:170)", "tls_protocol", True),
    ("httpx-proxy-407", "httpx.ProxyError: 407 Proxy Authentication Required", "proxy_auth_required", True),
    ("aiohttp-proxy-407", "aiohttp.client_exceptions.ClientHttpProxyError: 407, message='Proxy Authentication "
     "Required', url=URL('http://proxy.acme.corp:8080')", "proxy_auth_required", True),
    ("python-cert-expired", "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
     "failed: certificate has expired (_ssl.c:1006)", "tls_interception", False),
    ("node-cert-expired", "Error: certificate has expired\n    at TLSSocket.onConnectSecure (node:_tls_wrap:1674:34)"
     " {\n  code: 'CERT_HAS_EXPIRED'\n}", "tls_interception", False),
    ("pyjwt-expecting-pem", "  File \"/opt/etl/.venv/lib/python3.9/site-packages/jwt/algorithms.py\", line 239, in "
     "prepare_key\n    raise TypeError('Expecting a PEM-formatted key.')\nTypeError: Expecting a PEM-formatted key.",
     "private_key_invalid", True),
    ("java-nosuchfile", "java.nio.file.NoSuchFileException: /secrets/sf/private.key\n\tat java.base/sun.nio.fs."
     "UnixException.translateToIOException(UnixException.java:92)", "local_key_unreadable", True),
    ("node-eacces", "Error: EACCES: permission denied, open '/run/secrets/sf_key.pem'\n    at Object.openSync "
     "(node:fs:573:18) {\n  errno: -13,\n  code: 'EACCES'\n}", "local_key_unreadable", True),
    ("dotnet-pfx-password", "System.Security.Cryptography.CryptographicException: The specified network password "
     "is not correct.\n   at System.Security.Cryptography.X509Certificates.X509Certificate2..ctor(String fileName, "
     "String password)\n   at Acme.Sync.JwtBuilder.LoadKey() in /src/JwtBuilder.cs:line 12", "local_key_passphrase",
     True),
    ("ruby-faraday-proxy-auth", "Faraday::ProxyAuthError: 407 \"Proxy Authentication Required\"",
     "proxy_auth_required", True),
    ("soap-xml-invalid-login", "<soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: "
     "Invalid username, password, security token; or user locked out.</faultstring></soapenv:Fault>",
     "not_jwt_flow", True),
    ("rest-json-session-expired", '[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]',
     "session_expired", True),
    ("apex-nc-client-id", "System.CalloutException: Unable to complete the JWT token exchange. Error: "
     "invalid_client_id. Error description: client identifier invalid.", "consumer_key_mismatch", False),
    ("curl-proxy-verbose-407", "< HTTP/1.1 407 Proxy Authentication Required\n< Proxy-Authenticate: Basic "
     "realm=\"acme\"\n* Ignore 0 bytes of response-body\n* CONNECT phase completed", "proxy_auth_required", True),
    ("go-parse-pkcs", "x509: failed to parse private key (use ParsePKCS1PrivateKey instead for this key format)",
     "private_key_invalid", True),
    ("java-der-length", "java.security.InvalidKeyException: IOException : DerInputStream.getLength(): lengthTag=111,"
     " too big.\n\tat java.base/sun.security.pkcs.PKCS8Key.decode(PKCS8Key.java:191)", "private_key_invalid", True),
    ("curl-8443-reset", "curl: (35) OpenSSL SSL_connect: Connection reset by peer in connection to "
     "acme.my.salesforce.com:8443", "mutual_tls_certificate", False),
    ("mule-proxy-403", "HTTP POST on resource 'https://login.salesforce.com/services/oauth2/token' failed: "
     "forbidden (403). Tunnel through proxy proxy.acme.corp:8080 refused", "proxy_refused", True),
    ("php-soap-invalid-session", "SoapFault: INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: "
     "Illegal Session", "session_expired", False),
    # negative controls: family words around another failure must not take over
    ("neg-connected-app-cert-expired", "Our Connected App certificate expired last week, the new one is uploaded.\n"
     '{"error":"invalid_grant","error_description":"invalid assertion"}', "certificate_mismatch", False),
    ("neg-proxy-then-oauth", "* Uses proxy env variable https_proxy == 'http://proxy.acme.corp:8080'\n"
     "< HTTP/1.1 200 Connection established\n< HTTP/1.1 400 Bad Request\n"
     '{"error":"invalid_grant","error_description":"user hasn\'t approved this consumer"}', "user_not_preauthorized",
     False),
    ("neg-ca-bundle-missing", "Error: ENOENT: no such file or directory, open '/etc/ssl/corp-ca-bundle.pem'\n"
     "    at Object.openSync (node:fs:573:18)", "unknown", False),
]

# Written for the in-repo implementation after it passed the corpus, run once, never tuned against: the
# honest generalisation score (bench/bench_explain.py reports it apart).
HOLDOUT_2 = [
    ("guzzle-curl56-407", "GuzzleHttp\\Exception\\RequestException: cURL error 56: Received HTTP code 407 from proxy "
     "after CONNECT (see https://curl.haxx.se/libcurl/c/libcurl-errors.html)", "proxy_auth_required", True),
    ("faraday-self-signed", "Faraday::SSLError: SSL_connect returned=1 errno=0 peeraddr=10.0.0.1:443 state=error: "
     "certificate verify failed (self-signed certificate in certificate chain)", "tls_interception", True),
    ("dotnet-untrusted-root", "System.Net.Http.HttpRequestException: The SSL connection could not be established, see "
     "inner exception.\n ---> System.Security.Authentication.AuthenticationException: The remote certificate is "
     "invalid because of errors in the certificate chain: UntrustedRoot", "tls_interception", True),
    ("py-deserialize", "ValueError: ('Could not deserialize key data. The data may be in an incorrect format, it may "
     "be encrypted with an unsupported algorithm, or it may be an unsupported key type (e.g. EC curves with explicit "
     "parameters).', [<OpenSSLError(code=503841036, lib=60, reason=524556, reason_text=unsupported)>])",
     "private_key_invalid", True),
    ("java-fnf-server-key", "java.io.FileNotFoundException: /opt/app/config/server.key (No such file or directory)\n"
     "\tat java.base/java.io.FileInputStream.open0(Native Method)", "local_key_unreadable", True),
    ("node-provider-bad-decrypt", "Error: error:1C800064:Provider routines::bad decrypt\n    at Sign.sign "
     "(node:internal/crypto/sig:128:29)", "local_key_passphrase", True),
    ("sfcli-invalid-login", "Error (1): Invalid username, password, security token; or user locked out.",
     "not_jwt_flow", True),
    ("apex-proxy-403", "System.CalloutException: Unable to tunnel through proxy. Proxy returns \"HTTP/1.1 403 "
     "Forbidden\"", "proxy_refused", True),
    ("requests-tls-alert", "requests.exceptions.SSLError: HTTPSConnectionPool(host='login.salesforce.com', port=443): "
     "Max retries exceeded with url: /services/oauth2/token (Caused by SSLError(SSLError(1, '[SSL: "
     "TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version (_ssl.c:852)')))", "tls_protocol", True),
    ("java-keystore-password", "java.io.IOException: keystore password was incorrect\n\tat "
     "java.base/sun.security.pkcs12.PKCS12KeyStore.engineLoad(PKCS12KeyStore.java:2159)", "local_key_passphrase",
     True),
    ("node-self-signed", "Error: self-signed certificate in certificate chain\n    at TLSSocket.onConnectSecure "
     "(node:_tls_wrap:1659:34) {\n  code: 'SELF_SIGNED_CERT_IN_CHAIN'\n}", "tls_interception", True),
    ("mule-wrapped-expired", "org.mule.runtime.api.connection.ConnectionException: Failed to establish connection: "
     "invalid_grant: expired authorization code", "clock_skew_or_expiry", True),
    ("axios-auth-failure", "AxiosError: Request failed with status code 400\n  data: { error: 'invalid_grant', "
     "error_description: 'authentication failure' }", "not_jwt_flow", False),
    ("go-parse-ec", "x509: failed to parse private key (use ParseECPrivateKey instead for this key format)",
     "private_key_invalid", True),
    ("dotnet-webexception-407", "System.Net.WebException: The remote server returned an error: (407) Proxy "
     "Authentication Required.", "proxy_auth_required", True),
    ("curl60-expired", "curl: (60) SSL certificate problem: certificate has expired", "tls_interception", False),
    # negative controls
    ("neg-stripe-cert-warning", "WARN 2026-11-03 certificate for api.stripe.com expires in 10 days", "unknown",
     False),
    ("neg-proxy-info-then-client-id", "INFO proxy configured: http://proxy.acme.corp:8080 (no auth)\n"
     '{"error":"invalid_client_id","error_description":"client identifier invalid"}', "consumer_key_mismatch", False),
]
