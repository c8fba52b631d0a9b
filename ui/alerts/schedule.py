"""The alerts' schedule inside `finops slack`: `run_alerts` every `schedule_minutes` of alerts.yaml.

Started only when alerts.yaml exists and sets `schedule_minutes` (a malformed
file stops the bot at start, like slack.yaml). Each run is what `finops alerts
run` does with the bot's own client; its errors are logged and the next run
comes anyway. The state in FINOPS_HOME keeps a cron job and the schedule from
posting one incident twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.alerts.config import FILE_NAME, load_alerts_config

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from warehouse.settings import Settings

log = logging.getLogger("finops")


class AlertSchedule:
    """A daemon thread running the alerts every `minutes` (first run at once) until `stop()`."""

    def __init__(self, settings: Settings, client: WebClient, minutes: float):
        self.settings, self.client, self.seconds = settings, client, minutes * 60
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="finops-alerts", daemon=True)

    def start(self) -> AlertSchedule:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        from ui.alerts.run import run_alerts

        while not self._stop.is_set():
            try:
                run = run_alerts(self.settings, client=self.client)
                if run.result is not None:
                    log.info("alerts: posted %d, updated %d, failed %d", len(run.result.posted),
                             len(run.result.updated), len(run.result.failed))
            except Exception:  # noqa: BLE001 - a bad run is logged; the bot and the next run go on
                log.exception("alerts: scheduled run failed")
            self.runs += 1
            self._stop.wait(self.seconds)


def start_alert_schedule(settings: Settings, client: WebClient,
                         echo: Callable[[str], None] | None = None) -> AlertSchedule | None:
    """The running schedule, or None when alerts.yaml is absent or has no `schedule_minutes`."""
    if not (Path(settings.home) / FILE_NAME).is_file():
        return None
    config = load_alerts_config(settings.home)
    if config.schedule_minutes is None:
        return None
    if echo:
        echo(f"finops slack: alerts every {config.schedule_minutes} min to {', '.join(config.channels)}.")
    return AlertSchedule(settings, client, config.schedule_minutes).start()
