"""The summary DM of a completed run: sent once, retried until Slack takes it."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.blocks.messages import summary_messages
from bot.services.runs import Coach, Completed, RunService
from bot.slack_gateway import DeliveryFailed, SlackGateway

log = logging.getLogger(__name__)

# The listener sends right after completing; the job leaves it this long before stepping in.
RETRY_AFTER = timedelta(minutes=1)


def deliver_summary(runs: RunService, gateway: SlackGateway, coach: Coach, completed: Completed) -> bool:
    """Send the summary if nobody else is sending it; True when Slack took it."""
    if not runs.claim_summary(completed.run_id):
        return False
    try:
        gateway.post(channel=coach.user_id, messages=summary_messages(completed))
    except DeliveryFailed as failure:
        log.warning("summary of run %s not delivered (%s); will retry", completed.run_id, failure.error)
        runs.summary_failed(completed.run_id)
        return False
    runs.summary_sent(completed.run_id)
    log.info("summary of run %s delivered", completed.run_id)
    return True


def retry_unsent_summaries(runs: RunService, gateway: SlackGateway) -> int:
    """Scheduler job: deliver summaries whose first send failed or whose sender died."""
    delivered = 0
    for coach, completed in runs.unsent_summaries(older_than=RETRY_AFTER):
        delivered += deliver_summary(runs, gateway, coach, completed)
    return delivered
