"""The Slack surface: the Bolt app (composition root), thin listeners, command parsing, App Home data.

May import: bot.watch, bot.sessions, bot.blocks, bot.policy, bot.store, checks."""
