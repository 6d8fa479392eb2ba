"""Progress lines that reach both Dagster's event log and the terminal of `funnelhouse run`."""

from __future__ import annotations

import logging
from collections.abc import Callable

import dagster as dg

LOGGER = logging.getLogger("funnelhouse")


def reporter(context: dg.AssetExecutionContext, phase: str) -> Callable[[str], None]:
    def report(message: str) -> None:
        context.log.info(message)
        LOGGER.info("%s: %s", phase, message)

    return report
