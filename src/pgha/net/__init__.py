"""Networking shared by the node and the proxy: listener, client wire, backend connections,
the relay of a session over a backend, the pool of idle backends, cancel keys."""
