"""Pure Block Kit builders for the Slack layer: no I/O, no Slack client, no clock reads.

Every message builder returns ``{"text": fallback, "blocks": [...]}`` within Slack's
limits (see :mod:`bot.blocks.text`); untrusted strings are escaped and redacted.
Action and block ids come from :mod:`bot.ids`.
"""

from bot.blocks.customer import certificate_comment as customer_certificate_comment
from bot.blocks.customer import checklist_message, checklist_preview
from bot.blocks.escalation import EscalationView, RunRecord, escalation_message, suggested_fix, suggested_links
from bot.blocks.explain import ExplainView, explain_message, private_explain_message, shared_explain_message
from bot.blocks.modal import ModalInput, diagnose_modal, notice_modal, read_diagnose_modal
from bot.blocks.replies import (already_escalated, crash_loop_message, escalation_ack, internal_error_message, moved_message,
                      queued_message, retest_result_message, still_failing_message, success_message, usage_message)
from bot.blocks.session import ParentView, diff_line, outcome_note, parent_message, still_applying
from bot.blocks.steps import step_messages
from bot.blocks.text import escape_mrkdwn, redact

__all__ = [
    "EscalationView", "ExplainView", "ModalInput", "ParentView", "RunRecord",
    "already_escalated", "checklist_message", "checklist_preview", "crash_loop_message",
    "customer_certificate_comment", "diagnose_modal",
    "diff_line", "escalation_ack", "escalation_message", "escape_mrkdwn", "explain_message", "internal_error_message",
    "moved_message", "notice_modal", "outcome_note", "parent_message", "private_explain_message", "queued_message",
    "read_diagnose_modal", "redact", "retest_result_message", "shared_explain_message", "step_messages",
    "still_applying", "still_failing_message", "success_message", "suggested_fix", "suggested_links", "usage_message",
]
