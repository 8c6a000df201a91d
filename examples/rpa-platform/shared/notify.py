"""Run notifications for the RPA team.

When ``RPA_WEBHOOK_URL`` is set, messages are posted to that webhook (Slack or
Teams style JSON body). Otherwise they are only logged, which is what happens on
developer machines.
"""

import logging
import os

logger = logging.getLogger("rpa.notify")


def notify(message: str, channel: str = "#rpa-alerts") -> bool:
    """Send ``message`` to ``channel``; return True when a webhook accepted it."""
    webhook_url = os.environ.get("RPA_WEBHOOK_URL", "")
    if not webhook_url:
        logger.info("[%s] %s", channel, message)
        return False

    import httpx

    try:
        response = httpx.post(webhook_url, json={"channel": channel, "text": message}, timeout=10.0)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        logger.warning("notification to %s failed: %s", channel, exc)
        return False
    return True
