"""How the API is served in production shape: worker processes on one shared listening socket,
bound once so a second instance is refused (`listener`), kept alive, restarted and stopped by a
supervisor they never outlive (`supervisor`), and a protocol that sends a small response in one
write and closes connections whose headers or body stall (`protocol`). `serve.py` puts them
together."""
