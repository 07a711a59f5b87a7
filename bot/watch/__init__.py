"""Background watching: watched connections checked on a schedule, and certificate-expiry warnings.

May import: bot.sessions, bot.blocks, bot.policy, bot.store, checks."""
