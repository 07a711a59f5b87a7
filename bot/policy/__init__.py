"""Who may do what, and how often: access rules (pure), the per-connection throttle, typed inputs.

May import: bot.store (throttle counts runs), the shared modules of ``bot``, and ``checks``."""
