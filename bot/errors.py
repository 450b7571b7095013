"""The bot's own errors: what stops the process at start, as opposed to what the adapter raises."""

from __future__ import annotations


class ConfigError(Exception):
    """The environment or the practices file is wrong; the message names the variable, or the file and field."""
