"""The local stack: `nox -s up` / `down` / `logs`.

Compose runs it where a Docker engine answers; native processes run it everywhere else. Both read
the same service definitions (services.py) and the same `.env`, so ports and variables agree.
"""
