"""Typed keys for the sandbox application and its requests."""

from __future__ import annotations

from aiohttp import web

from od_adapter.sandbox.office import Office
from od_adapter.sandbox.state import Grant, Sandbox

SANDBOX_KEY = web.AppKey("od_sandbox", Sandbox)
GRANT_KEY = web.RequestKey("od_sandbox_grant", Grant)
OFFICE_KEY = web.RequestKey("od_sandbox_office", Office)
