"""Pure Block Kit builders for the Slack layer: no I/O, no Slack client, no clock reads.

Every message builder returns ``{"text": fallback, "blocks": [...]}`` within Slack's
limits (see :mod:`bot.blocks.text`); untrusted strings are escaped and redacted.
Action and block ids come from :mod:`bot.ids`.
"""

from bot.blocks.escalation import EscalationView, RunRecord, escalation_message, suggested_fix, suggested_links
from bot.blocks.explain import ExplainView, explain_message, private_explain_message, shared_explain_message
from bot.blocks.modal import ModalInput, diagnose_modal, notice_modal, read_diagnose_modal
from bot.blocks.replies import (already_escalated, escalation_ack, internal_error_message, moved_message, queued_message,
                      retest_result_message, still_failing_message, success_message, usage_message)
from bot.blocks.session import ParentView, diff_line, outcome_note, parent_message
from bot.blocks.steps import step_messages
from bot.blocks.text import escape_mrkdwn, redact

__all__ = [
    "EscalationView", "ExplainView", "ModalInput", "ParentView", "RunRecord",
    "already_escalated", "diagnose_modal", "diff_line", "escalation_ack", "escalation_message",
    "escape_mrkdwn", "explain_message", "internal_error_message", "moved_message", "notice_modal", "outcome_note",
    "parent_message", "private_explain_message", "queued_message", "read_diagnose_modal", "redact",
    "retest_result_message", "shared_explain_message", "step_messages", "still_failing_message", "success_message",
    "suggested_fix", "suggested_links",
    "usage_message",
]
