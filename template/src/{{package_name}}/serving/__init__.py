"""How the API is served in production shape: worker processes that each get their share of the
connections (`listeners`, `supervisor`), each response in one send and a deadline on each
request's headers (`protocol`). `serve.py` puts them together."""
