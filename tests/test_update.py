"""`copier update`: a service rendered at one template tag takes the next one's changes cleanly,
keeps its answers and its own edits, and still works: its items and migrations tests pass (the
whole gate runs on every supported combination elsewhere)."""

import shutil
from pathlib import Path

import copier
import yaml

from .rendering import ROOT, git, run_nox


def tagged_template_copy(destination: Path) -> Path:
    """This checkout as it is now (uncommitted changes too), as a git repository tagged v1."""
    ignore = shutil.ignore_patterns(".git", ".nox", "demo", "__pycache__", ".*_cache")
    shutil.copytree(ROOT, destination, ignore=ignore)
    git(destination, "init", "--quiet", "--initial-branch=main")
    git(destination, "add", "--all")
    git(destination, "commit", "--quiet", "--message", "template v1")
    git(destination, "tag", "v1")
    return destination


def test_update_takes_template_changes_and_keeps_local_edits(workspace: Path) -> None:
    template = tagged_template_copy(workspace / "paved")
    service = workspace / "service"
    answers = {"project_name": "Update Me", "with_ui": False, "with_opensearch": False}
    copier.run_copy(
        str(template), service, data=answers, defaults=True, unsafe=True, vcs_ref="v1", quiet=True
    )
    git(service, "add", "--all")
    git(service, "commit", "--quiet", "--message", "service from template v1")

    # The service's own work: an edit the template knows nothing about.
    readme = service / "README.md"
    readme.write_text(
        readme.read_text(encoding="utf-8") + "\n## Our runbook\n\nPage the on-call.\n",
        encoding="utf-8",
    )
    git(service, "commit", "--quiet", "--all", "--message", "our runbook")

    # The template moves on: a changed file and a new one.
    env_example = template / "template" / ".env.example.jinja"
    env_example.write_text(
        env_example.read_text(encoding="utf-8") + "# FEATURE_FLAGS=  # added in template v2\n",
        encoding="utf-8",
    )
    (template / "template" / "SECURITY.md").write_text(
        "# Security\n\nReport issues privately.\n", encoding="utf-8"
    )
    git(template, "add", "--all")
    git(template, "commit", "--quiet", "--message", "template v2")
    git(template, "tag", "v2")

    copier.run_update(service, defaults=True, unsafe=True, overwrite=True, vcs_ref="v2", quiet=True)

    recorded = yaml.safe_load((service / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert recorded["_commit"] == "v2"
    assert (recorded["project_name"], recorded["package_name"]) == ("Update Me", "update_me")
    assert "## Our runbook" in readme.read_text(encoding="utf-8")
    assert "FEATURE_FLAGS" in (service / ".env.example").read_text(encoding="utf-8")
    assert (service / "SECURITY.md").is_file()
    assert not list(service.rglob("*.rej"))
    changed = git(service, "diff", "--name-only").split()
    assert all("<<<<<<<" not in (service / name).read_text(encoding="utf-8") for name in changed)

    git(service, "add", "--all")
    result = run_nox(
        service, "-s", "tests", "--", "tests/test_items.py", "tests/test_migrations.py"
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]


def test_update_to_auth_oidc_gives_a_service_owned_items(workspace: Path) -> None:
    """An existing service (no authentication) answers `auth=oidc` on update: it gains the
    resource server and migration 0002, whose handling of the rows from before (given to
    AUTH_EXISTING_ITEMS_OWNER's subject, or left to the admin) its own tests prove."""
    template = tagged_template_copy(workspace / "paved")
    service = workspace / "service"
    answers = {"project_name": "Update Me", "with_ui": False, "with_opensearch": False}
    copier.run_copy(
        str(template),
        service,
        data={**answers, "auth": "none"},
        defaults=True,
        unsafe=True,
        vcs_ref="v1",
        quiet=True,
    )
    git(service, "add", "--all")
    git(service, "commit", "--quiet", "--message", "service from template v1, auth=none")
    assert not (service / "src" / "update_me" / "auth").exists()

    copier.run_update(
        service, data={"auth": "oidc"}, defaults=True, unsafe=True, overwrite=True, quiet=True
    )

    recorded = yaml.safe_load((service / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert recorded["auth"] == "oidc"
    assert (service / "src" / "update_me" / "auth" / "tokens.py").is_file()
    assert list((service / "migrations" / "versions").glob("*-0002_item_owner.py"))
    assert not list(service.rglob("*.rej"))
    git(service, "add", "--all")
    result = run_nox(
        service,
        "-s",
        "tests",
        "--",
        "tests/test_owner_migration.py",
        "tests/test_auth.py",
        "tests/test_ownership.py",
        "tests/test_items.py",
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
