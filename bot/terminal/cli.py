"""``aprity-diagnose``: check, explain, certificate, simulate, demo, playground, history, stats, backup,
connections check, socket, http.

Exit codes: 0 the connection works, 1 it is failing, 2 usage or configuration error.

Start-up stays close to a bare interpreter's: at module level only the standard
library's argument parsing is imported; each command imports what it needs inside
its function (``check`` never loads Slack, APScheduler or sqlite-utils).
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from checks.connections import Connection
    from checks.model import Diagnosis

    from bot.runtime import EngineSettings

EXIT_OK, EXIT_FAILING, EXIT_USAGE = 0, 1, 2
MAX_CERT_DAYS = 36500  # beyond year 9999 the certificate cannot even be encoded


class UsageError(Exception):
    """Bad arguments or configuration; printed as one line, exit 2."""


def _connection(args: argparse.Namespace, settings: EngineSettings) -> Connection:
    from dataclasses import replace
    from pathlib import Path

    from checks.connections import SECRET_IN_KEY_FIELD, Connection, load, looks_like_consumer_secret

    if args.connection:
        if any([args.username, args.consumer_key, args.login_url]):
            raise UsageError("give either --connection or --username/--consumer-key/--login-url, not both")
        conn = load(args.connection, settings.connections_file)
        # Explicit files win over the entry's: "try this key against that connection".
        if args.private_key:
            conn = replace(conn, private_key_file=Path(args.private_key))
        if args.certificate:
            conn = replace(conn, certificate_file=Path(args.certificate))
    else:
        missing = [flag for flag, value in (("--username", args.username), ("--consumer-key", args.consumer_key),
                                            ("--login-url", args.login_url)) if not value]
        if missing:
            raise UsageError(f"missing {', '.join(missing)} (or use --connection NAME)")
        if looks_like_consumer_secret(args.consumer_key):
            raise UsageError(SECRET_IN_KEY_FIELD)
        conn = Connection(username=args.username, consumer_key=args.consumer_key, login_url=args.login_url,
                          private_key_file=Path(args.private_key) if args.private_key else None,
                          certificate_file=Path(args.certificate) if args.certificate else None)
    if getattr(args, "app_type", None):  # overrides the connection's app_type: "try it as an ECA"
        from checks.model import parse_app_type

        try:
            conn = replace(conn, app_type=str(parse_app_type(args.app_type)))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    conn = conn.with_default_key(settings.private_key_file)
    if conn.private_key_file is None:
        raise UsageError("no private key: give --private-key, private_key_file in the connection, or set "
                         "APRITY_PRIVATE_KEY_FILE (or APRITY_PRIVATE_KEY)")
    return conn


def cmd_check(args: argparse.Namespace) -> int:
    from checks.salesforce import trust

    trust.preload()  # the CA bundle loads on another core while the engine's modules import
    from bot.terminal.render import diagnosis_text
    from bot.runtime import EngineSettings, make_engine

    if args.json and args.for_customer:
        raise UsageError("give either --json or --for-customer, not both")
    settings = EngineSettings.from_env()
    conn = _connection(args, settings)
    if conn.private_key_file is not None and not os.path.exists(conn.private_key_file):
        raise UsageError(f"private key file not found: {conn.private_key_file}")  # configuration, not a diagnosis
    engine = make_engine(settings)
    try:
        diagnosis = engine.diagnose(conn)
    finally:
        engine.client.close()
    if args.for_customer:
        _print_checklist(diagnosis, conn)
    else:
        print(json.dumps(diagnosis.to_dict(), indent=2) if args.json
              else diagnosis_text(diagnosis, verbose=args.verbose))
    return EXIT_OK if diagnosis.ok else EXIT_FAILING


def _print_checklist(diagnosis: Diagnosis, conn: Connection) -> None:
    """The customer's checklist on stdout (paste it as is); what support must add goes to stderr."""
    from checks.checklist import customer_checklist

    checklist = customer_checklist(diagnosis, attached=False)
    if checklist.text is None:
        print(checklist.reason)
        return
    print(checklist.text)
    if checklist.needs_certificate:
        which = f"--connection {conn.name}" if conn.name else f"--private-key {conn.private_key_file}"
        print(f"\nSend {checklist.certificate_name} with it: aprity-diagnose certificate {which} "
              f"--output {checklist.certificate_name}", file=sys.stderr)


def cmd_explain(args: argparse.Namespace) -> int:
    from checks.rules.advice import advice_for
    from checks.explain.reader import explain

    from bot.terminal.render import explanation_text

    # "-" means standard input, as for most Unix tools (`… | aprity-diagnose explain --json -`).
    text = " ".join(args.text) if args.text and args.text != ["-"] else sys.stdin.read()
    if not text.strip():
        raise UsageError("paste the error text as an argument or on standard input")
    expl = explain(text)
    if args.json:
        print(json.dumps(expl.to_dict(), indent=2))
    else:
        fixes = {c.id: advice_for(c.id, expl.advice_context()).fix for c in expl.candidates}
        print(explanation_text(expl, fixes))
    return EXIT_OK if expl.found else EXIT_FAILING


def _key_file(args: argparse.Namespace, settings: EngineSettings) -> Path:
    """The private key the certificate is made from: --private-key, else the connection's, else the default."""
    from pathlib import Path

    from checks.connections import load

    if args.private_key:
        return Path(args.private_key)
    if args.connection:
        conn = load(args.connection, settings.connections_file).with_default_key(settings.private_key_file)
        if conn.private_key_file is not None:
            return Path(conn.private_key_file)
    elif settings.private_key_file:
        return Path(settings.private_key_file)
    raise UsageError("no private key: give --private-key, --connection NAME, or set APRITY_PRIVATE_KEY_FILE (or APRITY_PRIVATE_KEY)")


def _write_new(path: "Path", data: bytes, *, overwrite: bool) -> None:
    """Write ``data`` to ``path`` itself, never through a symbolic link (one placed after the check
    included: O_NOFOLLOW), and only over an existing file when ``overwrite``."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(exc.errno, "it is a symbolic link") from None
        raise
    with open(fd, "wb") as fh:
        fh.write(data)


def cmd_certificate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from checks.crypto import keys

    from bot.runtime import EngineSettings

    settings = EngineSettings.from_env()
    key_file = _key_file(args, settings)
    if not 1 <= args.days <= MAX_CERT_DAYS:
        raise UsageError(f"--days must be between 1 and {MAX_CERT_DAYS}")
    out = Path(args.output) if args.output else None
    if out is not None and out.is_symlink():  # dangling too: writing through it would land who knows where
        raise UsageError(f"{out} is a symbolic link; give the path of the file itself")
    if out is not None and os.path.lexists(out) and not args.force:
        raise UsageError(f"{out} already exists; add --force to overwrite it")
    try:
        key = keys.read_private_key(key_file)
    except keys.KeyProblem as exc:
        raise UsageError(f"{exc} ({exc.hint})") from None
    try:
        pem = keys.self_signed_certificate(key, common_name=args.common_name, days=args.days)
    except ValueError as exc:  # e.g. a common name outside 1-64 characters
        raise UsageError(f"cannot make the certificate: {exc}") from None
    cert = keys.parse_certificate(pem)
    if out is None:
        sys.stdout.write(pem.decode())
    else:
        try:
            _write_new(out, pem, overwrite=args.force)
        except OSError as exc:
            raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
        print(f"wrote {out}", file=sys.stderr)
    print(f"Subject {cert.subject.rfc4514_string()}, expires {cert.not_valid_after_utc:%Y-%m-%d}; SHA-256 of this "
          f"certificate (made from aprity's key): {keys.fingerprint_sha256(cert)}", file=sys.stderr)
    from checks.rules.advice import upload_path

    print(f"Upload it in {upload_path('unknown', None)}; Salesforce can take up to 10 minutes to apply it.",
          file=sys.stderr)
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.terminal.demo import serve_simulator

    return serve_simulator(args.port, Path(args.keys) if args.keys else None)


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.terminal.demo import run_demo

    return run_demo(all_scenarios=args.all, json_out=args.json)


def cmd_playground(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        print(f"aprity-diagnose: --port must be between 0 and 65535, not {args.port}", file=sys.stderr)
        return 2
    from bot.playground import run

    return run.script(args.port) if args.script else run.serve(args.port)


def _db_path() -> str:
    """APRITY_DB as the bot reads it (bot.settings, imported here: the CLI's other commands start without it)."""
    from bot.settings import DEFAULT_DB

    return os.environ.get("APRITY_DB") or DEFAULT_DB


def cmd_history(args: argparse.Namespace) -> int:
    from bot.terminal.history import format_history
    from bot.store.readonly import HistoryError, read_sessions

    try:
        rows = read_sessions(_db_path(), args.limit)
    except HistoryError as exc:
        raise UsageError(str(exc)) from None
    print(json.dumps(rows, indent=2, default=str) if args.json else format_history(rows))
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    import time

    from bot.store import stats

    if args.days < 1:
        raise UsageError("--days must be 1 or more")
    try:
        figures = stats.read(_db_path(), now=time.time(), days=args.days)
    except stats.StatsError as exc:
        raise UsageError(str(exc)) from None
    print(json.dumps(figures.to_dict(), indent=2) if args.json else stats.as_text(figures))
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    from bot.store.backup import BackupError, backup

    source = _db_path()
    try:
        size = backup(source, args.path, force=args.force)
    except BackupError as exc:
        raise UsageError(str(exc)) from None
    print(f"wrote {args.path} ({size} bytes, owner-only) from {source}", file=sys.stderr)
    return EXIT_OK


def cmd_connections_check(args: argparse.Namespace) -> int:
    from bot.terminal import connections_check

    return connections_check.run()


def cmd_socket(args: argparse.Namespace) -> int:
    from bot.serve.runners import run_socket_mode

    return run_socket_mode()


def cmd_http(args: argparse.Namespace) -> int:
    from bot.serve.runners import run_http

    return run_http(args.port)


def _add_connection_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--connection", "-c", help="name of a connection in APRITY_CONNECTIONS")
    p.add_argument("--username", help="Salesforce username of the integration user (without --connection)")
    p.add_argument("--consumer-key", help="Consumer Key of the app in Salesforce (never the Consumer Secret)")
    p.add_argument("--login-url", help="login URL: https://login.salesforce.com, https://test.salesforce.com "
                                       "or the org's My Domain")
    p.add_argument("--private-key", help="PEM private key file (default APRITY_PRIVATE_KEY_FILE)")
    p.add_argument("--certificate", help="the certificate that should be in the app in Salesforce")
    p.add_argument("--app-type", choices=["external_client_app", "connected_app", "unknown"],
                   help="the kind of app in Salesforce, when known (default: the connection's, else unknown)")


EPILOG = """exit codes:
  0  the connection works (check), the text was recognised (explain), the command succeeded
  1  the connection is failing (check), nothing recognised (explain)
  2  usage or configuration error (bad flag, missing or unreadable key file, unknown connection)

environment variables:
  APRITY_CONNECTIONS           TOML file of named connections (--connection NAME)
  APRITY_PRIVATE_KEY_FILE      default private key file for every connection
  APRITY_PRIVATE_KEY           or the default private key itself (PEM text or its base64), not both
  APRITY_EXTRA_LOGIN_HOSTS     extra exact origins allowed besides Salesforce's hosts (tests, private setups)
  APRITY_SALESFORCE_SIMULATOR  loopback URL of `aprity-diagnose simulate`: Salesforce calls go there
  APRITY_DB                    SQLite session log (history, and the Slack bot)
  APRITY_LOG_LEVEL             log level (default WARNING)
  SSL_CERT_FILE, HTTPS_PROXY   CA bundle and proxy for the Salesforce calls
  The Slack bot's own settings (SLACK_*, APRITY_*): .env.example and docs/operations.md in the repository.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aprity-diagnose",
                                     description="Diagnose a Salesforce JWT Bearer connection, step by step.",
                                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="run every check against a connection", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_connection_args(p)
    p.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
    p.add_argument("--verbose", "-v", action="store_true", help="show details of passed steps too")
    p.add_argument("--for-customer", action="store_true",
                   help="print the checklist for the customer's Salesforce admin instead (plain text)")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("explain", help="triage a pasted error message")
    p.add_argument("text", nargs="*", help="the error text (default, or \"-\": read standard input)")
    p.add_argument("--json", action="store_true", help="print the reading as JSON")
    p.set_defaults(func=cmd_explain)
    p = sub.add_parser("certificate", help="write a certificate matching the private key, for upload",
                       description="Make a self-signed certificate from aprity's private key, to upload to the "
                                   "External Client App (or older Connected App). Needs only the key.", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--connection", "-c", help="take the private key of this connection in APRITY_CONNECTIONS")
    p.add_argument("--private-key", help="PEM private key file (default: the connection's, or "
                                         "APRITY_PRIVATE_KEY_FILE)")
    p.add_argument("--output", "-o", help="file to write (default: standard output)")
    p.add_argument("--force", action="store_true", help="overwrite --output if it exists")
    p.add_argument("--common-name", default="aprity", help="certificate subject CN (default: aprity)")
    p.add_argument("--days", type=int, default=730, help="days the certificate stays valid (default: 730)")
    p.set_defaults(func=cmd_certificate)
    p = sub.add_parser("simulate", help="run the Salesforce simulator on a loopback port")
    p.add_argument("--port", type=int, default=8443, help="loopback port to listen on (default: 8443)")
    p.add_argument("--keys", help="folder for the demo key files (default: a temporary folder)")
    p.set_defaults(func=cmd_simulate)
    p = sub.add_parser("demo", help="diagnose a few broken simulated orgs")
    p.add_argument("--all", action="store_true", help="every built-in scenario")
    p.add_argument("--json", action="store_true", help="print the diagnoses as JSON")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("playground", help="the Slack bot on a local page, with a stand-in Slack and Salesforce")
    p.add_argument("--port", type=int, default=3000, help="loopback port for the page (default 3000)")
    p.add_argument("--script", action="store_true", help="play a scripted tour in the terminal and exit")
    p.set_defaults(func=cmd_playground)
    p = sub.add_parser("history", help="recent diagnosis sessions from APRITY_DB")
    p.add_argument("--limit", type=int, default=20, help="how many sessions (default: 20)")
    p.add_argument("--json", action="store_true", help="print the sessions as JSON")
    p.set_defaults(func=cmd_history)
    p = sub.add_parser("stats", help="sessions, top causes, median time to fix and escalations from APRITY_DB")
    p.add_argument("--days", type=int, default=30, help="how many days back (default: 30)")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=cmd_stats)
    p = sub.add_parser("backup", help="copy APRITY_DB to PATH while the bot runs (consistent, owner-only)")
    p.add_argument("path", help="file to write the copy to")
    p.add_argument("--force", action="store_true", help="replace PATH if it exists")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("connections", help="the connections file (APRITY_CONNECTIONS)")
    conn_sub = p.add_subparsers(dest="connections_command", required=True, help="what to do with the file")
    q = conn_sub.add_parser("check", help="check every entry as deployed: key, certificate, login URL, "
                                          "channels, watch; exit 0 or 1, one line per problem")
    q.set_defaults(func=cmd_connections_check)
    p = sub.add_parser("socket", help="run the Slack bot in Socket Mode")
    p.set_defaults(func=cmd_socket)
    p = sub.add_parser("http", help="run the Slack bot over HTTP (development server; use gunicorn in production)")
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")),
                   help="port to listen on (default: $PORT or 3000)")
    p.set_defaults(func=cmd_http)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # --help and usage errors exit here, before any heavy import
    import logging

    from checks.connections import ConfigError

    from bot.runtime import SettingsError

    logging.basicConfig(level=os.environ.get("APRITY_LOG_LEVEL", "WARNING"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except (UsageError, ConfigError, SettingsError) as exc:
        print(f"aprity-diagnose: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
