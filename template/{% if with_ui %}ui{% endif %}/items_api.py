"""The UI's only way to the service: its HTTP API (never its database or its Python code)."""

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

Status = Literal["pending", "in_progress", "done"]
Order = Literal["oldest", "newest"]
STATUSES: tuple[Status, ...] = ("pending", "in_progress", "done")
DEFAULT_TIMEOUT_S = 5.0


def api_location(env: Mapping[str, str] = os.environ) -> tuple[str, float]:
    """Where the API is and how long to wait for it: API_BASE_URL when given, else
    http://API_HOST:API_PORT (as Compose and native mode set them); API_TIMEOUT_S in seconds."""
    base_url = env.get("API_BASE_URL") or (
        f"http://{env.get('API_HOST', 'localhost')}:{env.get('API_PORT', '8000')}"
    )
    return base_url.rstrip("/"), float(env.get("API_TIMEOUT_S") or DEFAULT_TIMEOUT_S)


# Not frozen: Python assigns __traceback__ and friends to exceptions as they propagate.
@dataclass
class ApiError(Exception):
    """The API answered with an error; `fields` maps a form field to what is wrong with it."""

    status: int
    message: str
    request_id: str
    fields: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


@dataclass
class ApiUnavailable(Exception):  # noqa: N818 - reads as a state, like ConnectionRefused
    """The API did not answer: down, unreachable, or slower than the timeout."""

    message: str
    request_id: str

    def __str__(self) -> str:
        return self.message


class ItemsApi:
    def __init__(self, base_url: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.base_url = base_url
        self.timeout_s = timeout_s
        self._http = httpx.Client(base_url=base_url, timeout=timeout_s)

    def list_items(
        self, *, limit: int, offset: int, status: Status | None, order: Order = "oldest"
    ) -> list[dict[str, Any]]:
        params: dict[str, str | int] = {"limit": limit, "offset": offset, "order": order}
        if status:
            params["status"] = status
        items: list[dict[str, Any]] = self._call("GET", "/items", params=params).json()
        return items

    def create_item(self, title: str, description: str | None, status: Status) -> dict[str, Any]:
        body = {"title": title, "description": description or None, "status": status}
        item: dict[str, Any] = self._call("POST", "/items", json=body).json()
        return item

    def replace_item(
        self, item_id: str, title: str, description: str | None, status: Status
    ) -> dict[str, Any]:
        body = {"title": title, "description": description or None, "status": status}
        item: dict[str, Any] = self._call("PUT", f"/items/{item_id}", json=body).json()
        return item

    def delete_item(self, item_id: str) -> None:
        self._call("DELETE", f"/items/{item_id}")

    def health(self) -> Literal["healthy", "degraded", "down"]:
        """healthy: API and database answer; degraded: the API answers but not its database."""
        try:
            response = self._http.get("/health/ready", timeout=min(2.0, self.timeout_s))
        except httpx.HTTPError:
            return "down"
        return "healthy" if response.status_code == 200 else "degraded"

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str | int] | None = None,
        json: dict[str, str | None] | None = None,
    ) -> httpx.Response:
        # Our id goes with the request, so even a call that never got an answer can be traced.
        request_id = uuid.uuid4().hex
        headers = {"X-Request-ID": request_id}
        try:
            response = self._http.request(method, path, params=params, json=json, headers=headers)
        except httpx.TimeoutException:
            msg = f"The API at {self.base_url} did not answer within {self.timeout_s:g} s."
            raise ApiUnavailable(msg, request_id) from None
        except httpx.TransportError as error:
            msg = f"The API at {self.base_url} cannot be reached ({error.__class__.__name__})."
            raise ApiUnavailable(msg, request_id) from None
        if response.is_error:
            raise _error_from(response, request_id)
        return response


def _error_from(response: httpx.Response, request_id: str) -> ApiError:
    request_id = response.headers.get("X-Request-ID", request_id)
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    fields: dict[str, str] = {}
    for error in problem.get("errors") or []:
        loc = error.get("loc") or []
        if len(loc) >= 2 and loc[0] == "body":
            fields.setdefault(str(loc[1]), _sentence(error.get("msg", "is invalid")))
    message = problem.get("detail") or problem.get("title") or f"HTTP {response.status_code}"
    if response.status_code == 503:
        message = "The API cannot reach its database right now. Retry in a moment."
    return ApiError(response.status_code, str(message), request_id, fields)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
