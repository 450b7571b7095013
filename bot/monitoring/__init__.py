"""What operators watch: metrics (and their own listener), logs without PHI, and Open Dental connection checks."""

from bot.monitoring.checks import PracticeReport, check_practice, ping_practice
from bot.monitoring.logs import configure_logging
from bot.monitoring.metrics import Metrics

__all__ = ["Metrics", "PracticeReport", "check_practice", "configure_logging", "ping_practice"]
