"""The in-app deadline sweep: a background thread per worker; an advisory lock lets one run.

After each sweep the same thread brings the indicators' fact rows up to date (the events whose
timeline grew), so an indicator request seldom has more than a minute's changes to read."""

from __future__ import annotations

import logging
import threading

from api import clock
from api.database import session_scope
from api.indicators import facts
from api.supervision.service import sweep

log = logging.getLogger("shuxin.sweep")


class SweepThread(threading.Thread):
    """Runs the sweep every `interval_s` seconds until stopped."""

    def __init__(self, interval_s: int) -> None:
        super().__init__(name="shuxin-sweep", daemon=True)
        self.interval_s = interval_s
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval_s):
            try:
                with session_scope() as session:
                    result = sweep(session=session, now=clock.now())
                if result.overdue_events or result.at_risk_events:
                    log.info(
                        "deadline sweep: %d events overdue (supervision orders issued), "
                        "%d at risk (reminders sent)",
                        result.overdue_events,
                        result.at_risk_events,
                    )
            except Exception:  # noqa: BLE001 - the sweep must survive a bad minute
                log.exception(
                    "the deadline sweep failed; it will try again in %d s", self.interval_s
                )
            try:
                with session_scope() as session:
                    facts.refresh(session)
            except Exception:  # noqa: BLE001 - readers refresh them anyway
                log.exception("bringing the indicators' fact rows up to date failed")

    def stop(self) -> None:
        self.stopped.set()
