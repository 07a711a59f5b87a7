"""A session's life: runs on the executor, parent and thread delivery, repair of owed messages, crash
recovery, escalation, certificate upload and the retest scheduler. May import: bot.blocks, bot.policy, bot.store, checks."""
