"""The playground: the real bot, a Slack stand-in and simulated Salesforce in one process.

:class:`Playground` starts, all on loopback: the Slack Web API stand-in
(:class:`~bot.playground.slack_stub.SlackStub`), the simulator with the demo's
broken orgs and a propagation delay, the real Bolt app built by :func:`bot.slack.app.build`
with its Salesforce client on the simulator's transport, and one HTTP server
that serves the page, its JSON API and — at ``/slack/events``, through the same
WSGI adapter as production — the bot itself. Browser actions reach the bot as
signed Slack requests (:mod:`bot.playground.slack_events`). Nothing leaves the machine.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from checks.scenarios import World
from checks.simulator import SimTransport, Simulator

from bot.slack.app import Bot, build
from bot.settings import Settings
from bot.playground.orgs import FIXES, Orgs
from bot.playground.slack_events import COMMAND, Person, SlackSide
from bot.playground.slack_stub import BOT_USER_ID, SlackStub

SUPPORT_CHANNEL = "C0PLAYHELP"  # where people run the command
ESCALATION_CHANNEL = "C0PLAYESCL"  # APRITY_SUPPORT_CHANNEL: where escalations land
CHANNELS = {SUPPORT_CHANNEL: "salesforce-help", ESCALATION_CHANNEL: "aprity-escalations"}
YOU = Person("U0PLAYYOU", "you")
TEAM_DOMAIN = "aprity-playground"


@dataclass(frozen=True)
class Timing:
    """How fast the simulated world moves: Salesforce's propagation and the bot's retests (seconds)."""

    propagation_delay: float = 10.0
    retest_delays: tuple[float, ...] = (15.0, 30.0, 45.0, 60.0)
    post_interval: float = 0.2


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class Playground:
    """See the module docstring. ``start()`` then ``url``; ``close()`` stops everything."""

    def __init__(self, folder: Path, *, port: int = 3000, timing: Timing = Timing()) -> None:
        self.folder = folder
        self.port = port
        self.timing = timing
        self.stub = SlackStub(team_domain=TEAM_DOMAIN, clock=time.time)
        self.world = World(Simulator(propagation_delay=timing.propagation_delay), folder / "keys")
        self.orgs = Orgs(self.world, folder / "connections.toml")
        self._secret = secrets.token_hex(16)  # a fresh signing secret per run: nothing to configure or leak
        self.bot: Bot | None = None
        self.slack: SlackSide | None = None
        self._server: _Server | None = None
        self._serving = False  # shutdown() waits for serve_forever: only call it once that runs

    def settings(self) -> Settings:
        env = {
            "SLACK_BOT_TOKEN": "xoxb-playground",
            "SLACK_SIGNING_SECRET": self._secret,
            "SLACK_API_URL": self.stub.url,
            "APRITY_DB": str(self.folder / "playground.db"),
            "APRITY_SUPPORT_CHANNEL": ESCALATION_CHANNEL,
            # Commands are allowed in the support channel (the access policy denies by default); the
            # escalation channel, aprity's own, is a staff channel too, so alerts may be posted there.
            "APRITY_STAFF_CHANNELS": f"{SUPPORT_CHANNEL},{ESCALATION_CHANNEL}",
            "APRITY_CONNECTIONS": str(self.orgs.file),
            "APRITY_PRIVATE_KEY_FILE": str(self.world.key_file),
            "APRITY_RETEST_DELAYS": ",".join(f"{d:g}" for d in self.timing.retest_delays),
            "APRITY_POST_INTERVAL": f"{self.timing.post_interval:g}",
        }
        return Settings.from_env(env, mode="http")

    def start(self) -> "Playground":
        from bot.playground import web  # the page and its API; imported here so building a Playground stays light

        # The port first: when it is taken, nothing else has started (no bot, no stand-in, no log lines).
        handler: list[Callable[..., Any]] = []
        self._server = make_server("127.0.0.1", self.port, lambda env, reply: handler[0](env, reply),
                                   server_class=_Server, handler_class=_Quiet)
        self.port = self._server.server_port
        try:
            self.stub.start()
            self.stub.add_user(YOU.id, "You (playground)")
            self.stub.add_user(BOT_USER_ID, "aprity-diagnose", is_bot=True)
            for cid, name in CHANNELS.items():
                self.stub.add_channel(cid, name)
                self.stub.add_member(cid, YOU.id)  # what the App Home shows depends on the viewer's channels
            # The engine talks to the simulator in-process: its transport, never the network.
            self.bot = build(self.settings(), transport=SimTransport(self.world.sim))
            handler.append(web.application(self))
        except BaseException:
            self.close()
            raise
        # close() waits for the loop to notice (0.5 s at the default poll), as the stub and simulator do.
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="playground", daemon=True).start()
        self._serving = True
        self.slack = SlackSide(self.stub, f"{self.url}/slack/events", self._secret, CHANNELS, TEAM_DOMAIN)
        return self

    def close(self) -> None:
        if self._server is not None:
            if self._serving:
                self._server.shutdown()
            self._server.server_close()
        if self.slack is not None:
            self.slack.close()
        if self.bot is not None:
            self.bot.shutdown()
        self.stub.close()

    def __enter__(self) -> "Playground":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- what a person does (the page and the scripted tour call these) ---------------

    def command(self, text: str, channel: str = SUPPORT_CHANNEL) -> dict[str, Any]:
        assert self.slack is not None, "start() first"
        return self.slack.slash(YOU, channel, text)

    def click(self, channel: str, ts: str, action_id: str, value: str | None = None) -> dict[str, Any]:
        """Press the button ``action_id`` on message ``ts`` (it must be on the message)."""
        assert self.slack is not None, "start() first"
        message = self.stub.message(channel, ts)
        ephemeral = message is None
        if ephemeral:  # a reply only the person sees (explain's answer with its Share button)
            message = self.stub.ephemeral_message(channel, ts)
        for block in (message or {}).get("blocks") or []:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element.get("action_id") == action_id and (value is None or element.get("value") == value):
                    return self.slack.click(YOU, channel, ts, element, block.get("block_id", ""),
                                            (message or {}).get("thread_ts"), ephemeral=ephemeral)
        raise KeyError(f"no button {action_id!r} on message {ts} in {channel}")

    def submit_view(self, view_id: str, values: dict[str, Any]) -> dict[str, Any]:
        assert self.slack is not None, "start() first"
        return self.slack.submit(YOU, view_id, values)

    def open_home(self) -> dict[str, Any]:
        """Open the bot's Home tab; the bot publishes it a moment later (``state()["home"]``)."""
        assert self.slack is not None, "start() first"
        return self.slack.home_opened(YOU)

    def apply_fix(self, connection: str, fix_id: str) -> dict[str, Any]:
        return self.orgs.apply(connection, fix_id)

    # ---- what the page shows ----------------------------------------------------------

    def state(self) -> dict[str, Any]:
        users = {YOU.id: "You", BOT_USER_ID: "aprity-diagnose"}
        channels = []
        for cid, name in CHANNELS.items():
            msgs = self.stub.channel_messages(cid)
            for m in msgs:
                m["replies"] = self.stub.thread(cid, m["ts"])
            channels.append({"id": cid, "name": name, "messages": msgs,
                             "ephemeral": self.stub.ephemeral_messages(cid)})
        views = [v for v in self.stub.views() if not v.get("closed") and v.get("type") == "modal"]
        home = next((v for v in self.stub.views() if v.get("type") == "home" and v.get("user") == YOU.id), None)
        # Which thread belongs to which connection, and how it stands: the admin panel follows the
        # thread you open and asks before fixing an org that has no failing session.
        sessions = [{"id": s["id"], "connection": s.get("connection_name"), "channel": s.get("channel"),
                     "thread_ts": s.get("thread_ts"), "status": s.get("status")}
                    for s in (self.sessions() if self.bot is not None else [])]
        return {
            "me": {"id": YOU.id, "name": "You"}, "users": users, "command": COMMAND, "channels": channels,
            "view": views[-1] if views else None, "home": home, "connections": self.orgs.names,
            "sessions": sessions,
            "admin": {"orgs": self.orgs.describe(),
                      "fixes": [{"id": f.id, "label": f.label, "where": f.where} for f in FIXES],
                      "propagation_delay": self.timing.propagation_delay},
        }

    # ---- waiting (the tour and the tests) ---------------------------------------------

    def sessions(self) -> list[dict[str, Any]]:
        assert self.bot is not None
        return self.bot.store.recent_sessions(100)

    def wait(self, what: str, predicate: Callable[[], Any], timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            found = predicate()
            if found:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"gave up waiting for {what} after {timeout:g} s")
            time.sleep(0.1)
