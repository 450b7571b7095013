"""A faithful local simulator of the Open Dental REST API, for tests, benchmarks and the demo."""

from od_adapter.sandbox.app import create_sandbox_app
from od_adapter.sandbox.state import DEVELOPER_KEY, SandboxSettings, ThrottleMode

__all__ = ["DEVELOPER_KEY", "SandboxSettings", "ThrottleMode", "create_sandbox_app"]
