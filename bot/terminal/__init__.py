"""The command line: ``aprity-diagnose`` (cli), flutter-doctor style rendering, the demo and history.

May import: bot.playground, bot.serve and everything below it (lazily, so ``check`` starts fast)."""
