"""How the service tells what it is doing: request ids (more in later modules)."""
