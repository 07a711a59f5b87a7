"""Every action id, callback id and block id the Slack layer sends or matches, in one place.

Listeners match on these values and the builders in :mod:`bot.blocks` emit them;
changing one here changes both sides at once. Values are stable: buttons in
messages posted before a deploy still carry the old ids.
"""

from __future__ import annotations

from enum import StrEnum


class ActionId(StrEnum):
    """Buttons on the bot's messages; the session buttons' ``value`` is the session id."""

    RETEST = "aprity_retest"
    ESCALATE = "aprity_escalate"
    # "For the customer": the admin's checklist, privately; then, from that private copy, post it in the channel.
    FOR_CUSTOMER = "aprity_for_customer"
    POST_CHECKLIST = "aprity_post_checklist"
    # On the ephemeral ``explain`` answer; its value is a key the bot holds in memory, not the session id.
    SHARE_EXPLAIN = "aprity_share_explain"
    # Link buttons into the customer's own Setup: Slack opens the URL, and still tells the app, which acks.
    SETUP_LINK = "aprity_setup_link"


# The "/aprity-diagnose" form (opened when the command has no arguments).
DIAGNOSE_MODAL = "aprity_diagnose_modal"


class ModalBlock(StrEnum):
    """``block_id`` of each input in the diagnose modal (keys of ``view.state.values``)."""

    CONNECTION = "aprity_modal_connection"
    USERNAME = "aprity_modal_username"
    CONSUMER_KEY = "aprity_modal_consumer_key"
    LOGIN_URL = "aprity_modal_login_url"
    APP = "aprity_modal_app"
    APP_TYPE = "aprity_modal_app_type"


class ModalAction(StrEnum):
    """``action_id`` of the element inside each modal input block."""

    CONNECTION = "aprity_connection_select"
    USERNAME = "aprity_username_input"
    CONSUMER_KEY = "aprity_consumer_key_input"
    LOGIN_URL = "aprity_login_url_input"
    APP = "aprity_app_input"
    APP_TYPE = "aprity_app_type_select"


# Prefix of the block ids of the live parent message; a revision number follows so
# each chat.update carries new block ids (Slack keeps stale ones otherwise).
PARENT_BLOCK_PREFIX = "aprity_parent"


class HomeBlock(StrEnum):
    """``block_id`` of each block of the Home tab; a row's index follows ``SESSION`` and ``WATCHED``."""

    HEAD = "home_head"
    SCOPE = "home_scope"
    UNKNOWN = "home_unknown"
    OPEN = "home_open"
    SESSION = "home_s"
    SESSION_MORE = "home_s_more"
    OPEN_NONE = "home_open_none"
    WATCH = "home_watch"
    WATCHED = "home_w"
    WATCHED_MORE = "home_w_more"
    WATCH_NONE = "home_watch_none"
    STATS = "home_stats"
    FIGURES = "home_figures"
    CAUSES = "home_causes"
