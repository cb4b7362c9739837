"""`nox -s seed`: a few dozen realistic items, created through the API as any client would.

Idempotent: an item whose title the API already lists is not created again, so running it twice
(or after Paved's `nox -s demo`) adds nothing. The descriptions are plain text, as the UI shows.

With auth=oidc the seed calls with the tools client's access token (client credentials, as a
production job would: `nox -s seed` gets it from the stack's provider), so the items belong to
the tools client's service account. Seeding as a person would need their password in a script
(the password grant, which RFC 9700 forbids), so the demo shows them through the admin role
instead: `dev` holds it (auth/realm.json) and sees every item on the first screen, while `dev2`
starts with none, as any new user.
"""

from typing import Any

import httpx

# (title, description, status), oldest first: the UI shows the last of them on top. The titles
# tell a service's first weeks, from its first commit to its first incident review.
ITEMS: tuple[tuple[str, str | None, str], ...] = (
    ("Render the service from the template", "copier copy, then the first green nox.", "done"),
    ("Pick the service's name and owners", None, "done"),
    ("Set up the repository and branch protection", "Require the CI checks on main.", "done"),
    ("Run the stack locally", "nox -s up, then open the API docs and the UI.", "done"),
    ("Write the first migration", "nox -s revision -- -m ..., then nox -s migrate.", "done"),
    ("Agree on the service-level objectives", "p95 and error rate in k6/slo.json.", "done"),
    ("Add the projects table", "Items belong to a project; migrate, then backfill.", "done"),
    ("Backfill projects for existing items", "One default project per team.", "done"),
    ("Load-test the list endpoint", "nox -s load; keep p95 under the SLO.", "done"),
    ("Document the API for the mobile team", "Link /docs and the problem+json format.", "done"),
    ("Add a readiness check for the cache", None, "done"),
    ("Tune the connection pool", "DB_POOL_MAX_SIZE against max_connections.", "done"),
    ("Review the alert rules with on-call", "Each alert needs a runbook link.", "done"),
    ("Ship logs to OpenSearch", "Check the index pattern in Dashboards.", "done"),
    ("Add rate limiting at the ingress", "Per client, generous limits first.", "in_progress"),
    ("Provision the staging database", "Same major version as production: 18.", "done"),
    ("Write the deploy runbook", "Rollout, rollback, and who to call.", "in_progress"),
    ("Add search by title", "A trigram index; measure with nox -s bench first.", "pending"),
    ("Dry-run the database restore", "Restore last night's backup into staging.", "in_progress"),
    ("Fix the flaky UI test on slow machines", "Wait for the rerun, not a fixed time.", "done"),
    ("Rotate the database password", "Update the secret, restart the API.", "pending"),
    ("Add an index on items.updated_at", "Only if the new report needs it.", "pending"),
    ("Set up the on-call rotation", None, "done"),
    ("Write the incident review for Tuesday's 503s", "The pool was exhausted.", "in_progress"),
    ("Raise the pool timeout alert threshold", "Too noisy at night.", "pending"),
    ("Archive done items after 90 days", "A nightly job; keep the audit trail.", "pending"),
    ("Add bulk status updates", "PATCH /items with a list of ids.", "pending"),
    ("Add an export to CSV", "Streamed, for large lists.", "pending"),
    (
        "Upgrade to the next FastAPI release",
        "uv lock --upgrade-package fastapi, then nox.",
        "pending",
    ),
    ("Take in the template's latest changes", "copier update, resolve, run nox.", "pending"),
    ("Invite the support team to the UI", "They triage the pending items.", "in_progress"),
    ("Add item assignees", "Who is on it; shown in the UI table.", "pending"),
    ("Add due dates to items", "Sort by due date in the UI.", "pending"),
    ("Write the quarterly capacity plan", "From the bench and production peaks.", "pending"),
    ("Plan the Kubernetes move", "Helm chart, probes, and the migration job.", "pending"),
    ("Celebrate the first month in production", "Cake for the team.", "pending"),
)
PAGE_SIZE = 200  # the API's largest page


class SeedError(Exception):
    """The API refused an item or could not be reached."""


def seed(api: str, auth: httpx.Auth | None = None) -> tuple[int, int]:
    """Create the items the API does not list yet, calling with `auth` (the credentials: see
    the module's docstring); (created, already there)."""
    with httpx.Client(base_url=api, auth=auth, timeout=10.0) as http:
        try:
            present = _titles(http)
            missing = [item for item in ITEMS if item[0] not in present]
            for title, description, status in missing:
                body = {"title": title, "description": description, "status": status}
                response = http.post("/items", json=body)
                if response.status_code != httpx.codes.CREATED:
                    msg = f"the API refused {title!r}: {response.status_code} {response.text}"
                    raise SeedError(msg)
        except httpx.HTTPError as error:
            msg = f"the API at {api} cannot be reached ({error}): run `nox -s up` first"
            raise SeedError(msg) from error
    return len(missing), len(ITEMS) - len(missing)


def _titles(http: httpx.Client) -> set[str]:
    titles: set[str] = set()
    offset = 0
    while True:
        response = http.get("/items", params={"limit": PAGE_SIZE, "offset": offset})
        if response.status_code == httpx.codes.UNPROCESSABLE_ENTITY and offset:
            return titles  # past the deepest page the API serves (its `offset` is bounded)
        response.raise_for_status()
        page: list[dict[str, Any]] = response.json()
        titles.update(item["title"] for item in page)
        if len(page) < PAGE_SIZE:
            return titles
        offset += PAGE_SIZE
