"""The transport under the Open Dental client: auth, throttle, retries, errors and paging.

Every request carries `Authorization: ODFHIR {DeveloperKey}/{CustomerKey}` and `Content-Type: application/json`
(Open Dental requires it on GETs too), waits for its turn on the CustomerKey's limiter, and maps failures to the
typed errors in `od_adapter.errors`. Reads are retried on 429, 5xx, 504 and network failures. Writes are retried
only when Open Dental cannot have run them (429, connection refused, the office's eConnector down); any other
failure of a write is raised with `outcome_unknown` set, so the caller looks before it tries again.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections import Counter
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, stop_after_delay
from tenacity.wait import wait_exponential_jitter

from od_adapter.errors import (
    OdBadRequest,
    OdRateLimited,
    OdTimedOut,
    OdUnavailable,
    OpenDentalError,
    error_for_status,
    error_message,
    parse_retry_after,
)
from od_adapter.ratelimit import RateLimiter
from od_adapter.wire import endpoint_name

logger = logging.getLogger(__name__)

Params = Mapping[str, str | int | None]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    initial_backoff: float = 0.5
    max_backoff: float = 20.0
    deadline: float = 90.0


@dataclass
class RequestStats:
    """What this client sent, for tests, benchmarks and metrics."""

    requests: int = 0
    retries: int = 0
    by_endpoint: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    limiter_wait_seconds: float = 0.0
    request_seconds: float = 0.0


@dataclass
class TurnWait:
    """What one task (a conversation turn) spent on Open Dental: the whole wait, the throttle's part, requests."""

    seconds: float = 0.0
    limiter_seconds: float = 0.0
    requests: int = 0


# Set by whoever wants the figures for its task; asyncio copies it into the tasks a turn starts.
TURN_WAIT: ContextVar[TurnWait | None] = ContextVar("od_turn_wait", default=None)
# Called once the throttle lets a request go, just before it is sent: a coalesced read learns when it began.
ON_SEND: ContextVar[Callable[[], None] | None] = ContextVar("od_on_send", default=None)


class OdNotSent(OdUnavailable):
    """The request never reached Open Dental's server, so even a write is safe to send again."""


class OdHttp:
    def __init__(
        self,
        *,
        base_url: str,
        developer_key: SecretStr,
        customer_key: SecretStr,
        limiter: RateLimiter,
        spacing: float,
        timeout: float = 30.0,
        retry: RetryPolicy = RetryPolicy(),
        transport: httpx.AsyncBaseTransport | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._customer_key = customer_key.get_secret_value()
        self._limiter = limiter
        self._spacing = spacing
        self._retry = retry
        self._jitter = wait_exponential_jitter(
            multiplier=retry.initial_backoff, max=retry.max_backoff, jitter=retry.initial_backoff
        )
        self.stats = RequestStats()
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers={
                "Authorization": f"ODFHIR {developer_key.get_secret_value()}/{self._customer_key}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
            # httpx loads the CA bundle into a new context per client (20 ms, 0.8 MB each) unless given one.
            verify=tls if tls is not None else True,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        idempotent: bool,
    ) -> Any:
        """Send one request with throttle and retries; return the decoded JSON body (None when empty)."""
        retrying = AsyncRetrying(
            retry=retry_if_exception(lambda exc: _may_retry(exc, idempotent)),
            wait=self._backoff,
            stop=stop_after_attempt(self._retry.attempts) | stop_after_delay(self._retry.deadline),
            before_sleep=self._count_retry,
            reraise=True,
        )
        started = time.perf_counter()
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._send(method, path, params, json)
        except OdUnavailable as exc:
            if not idempotent and not isinstance(exc, OdNotSent | OdRateLimited):
                exc.outcome_unknown = True
            raise
        finally:
            if (wait := TURN_WAIT.get()) is not None:
                wait.seconds += time.perf_counter() - started
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def get_all(self, path: str, params: Params | None, page_limit: int) -> list[Any]:
        """Page through a list with Limit/Offset until a page comes back shorter than the limit."""
        items: list[Any] = []
        offset = 0
        while True:
            page = await self.request(
                "GET", path, params={**(params or {}), "Limit": page_limit, "Offset": offset}, idempotent=True
            )
            if not isinstance(page, list):
                raise OdBadRequest("expected a list", method="GET", path=path)
            items.extend(page)
            if len(page) < page_limit:
                return items
            offset += len(page)

    async def _send(self, method: str, path: str, params: Params | None, body: Any) -> Any:
        name = endpoint_name(method, path)
        route = name.split(" ", 1)[1]  # the path with ids folded, for error messages and logs
        waited = await self._limiter.acquire(self._customer_key, self._spacing)
        self.stats.limiter_wait_seconds += waited
        if (sending := ON_SEND.get()) is not None:
            sending()
        self.stats.requests += 1
        if (wait := TURN_WAIT.get()) is not None:
            wait.limiter_seconds += waited
            wait.requests += 1
        self.stats.by_endpoint[name] += 1
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        started = time.perf_counter()
        try:
            response = await self._client.request(method, path.lstrip("/"), params=query, json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise OdNotSent(f"cannot connect ({type(exc).__name__})", method=method, path=route) from exc
        except httpx.TimeoutException as exc:
            raise OdTimedOut(f"no answer in time ({type(exc).__name__})", method=method, path=route) from exc
        except httpx.TransportError as exc:
            raise OdUnavailable(f"network error ({type(exc).__name__})", method=method, path=route) from exc
        finally:
            self.stats.request_seconds += time.perf_counter() - started
        self.stats.by_status[response.status_code] += 1
        logger.debug(
            "%s -> %s in %.0f ms", name, response.status_code, (time.perf_counter() - started) * 1000
        )
        if response.status_code >= 400:
            raise _error(response, method, route)
        if not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError as exc:
            # A 200 with a body that is not JSON is a broken proxy or office, not a reason to retry blindly.
            raise OdUnavailable(
                "malformed response body", status=response.status_code, method=method, path=route
            ) from exc

    def _backoff(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, OdRateLimited) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._jitter(state))

    def _count_retry(self, state: RetryCallState) -> None:
        self.stats.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        logger.info("retrying Open Dental request after %s", type(exc).__name__)


def _may_retry(exc: BaseException, idempotent: bool) -> bool:
    if isinstance(exc, OdRateLimited | OdNotSent):
        return True
    return idempotent and isinstance(exc, OdUnavailable)


def _error(response: httpx.Response, method: str, route: str) -> OpenDentalError:
    message = error_message(response.content, response.headers.get("content-type", ""))
    error = error_for_status(
        response.status_code,
        message,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
        method=method,
        path=route,
    )
    if type(error) is OdUnavailable and response.status_code == 400:
        # Open Dental's 400 for a stopped eConnector: the office never saw the request.
        return OdNotSent(error.message, status=400, method=method, path=route)
    return error
