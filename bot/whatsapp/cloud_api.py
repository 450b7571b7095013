"""The Cloud API client: one send, and what its errors mean for a retry.

Meta's `/messages` has no idempotency key, so this client never retries by itself: the outbox decides, per
error code, whether a send may be tried again and when.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr

# Back off and try again (throughput, pair rate, app and account rate limits, maintenance, transient errors).
RETRYABLE = {130429, 131056, 80007, 4, 1, 2, 131000, 131016, 131057}
# Never again on their own: outside the 24-hour window, not a WhatsApp user, unsupported, restricted, token.
FINAL = {131047, 131026, 131051, 368, 190, 131031, 130497, 131050}


class CloudApiError(Exception):
    def __init__(self, code: int, details: str, *, http_status: int) -> None:
        super().__init__(f"WhatsApp error {code} (HTTP {http_status}): {details}")
        self.code = code
        self.details = details
        self.http_status = http_status

    @property
    def retryable(self) -> bool:
        if self.code in FINAL:
            return False
        return self.code in RETRYABLE or self.http_status >= 500 or self.http_status == 0


class CloudApiClient:
    def __init__(
        self,
        *,
        base_url: str,
        version: str,
        token: SecretStr,
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.version = version
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {token.get_secret_value()}"},
            timeout=httpx.Timeout(timeout, connect=5.0),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, phone_number_id: str, body: dict[str, Any]) -> str:
        """Send one message (or read receipt); return Meta's wamid ("" for a read receipt)."""
        try:
            response = await self._client.post(f"{self.version}/{phone_number_id}/messages", json=body)
        except httpx.TransportError as exc:
            raise CloudApiError(0, f"network error ({type(exc).__name__})", http_status=0) from exc
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code >= 400 or "error" in data:
            error = data.get("error") or {}
            details = (
                (error.get("error_data") or {}).get("details") or error.get("message") or response.text[:200]
            )
            raise CloudApiError(int(error.get("code") or 0), str(details), http_status=response.status_code)
        messages = data.get("messages") or [{}]
        return str(messages[0].get("id", ""))
