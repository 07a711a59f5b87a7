"""The playground: the real Slack bot with no Slack, on one local page (``aprity-diagnose playground``).

:mod:`.core` starts everything in one process, :mod:`.web` serves the page and the
bot, :mod:`.slack_stub` (with :mod:`.slack_methods` and :mod:`.slack_files`) is the
Slack Web API stand-in the tests use too, :mod:`.slack_events` sends what a person
does to the bot as signed Slack requests, :mod:`.orgs` is the admin panel over the
simulator, and :mod:`.tour` plays the scripted tour.
"""
