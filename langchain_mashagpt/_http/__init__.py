"""HTTP: everything that talks to the server, and nothing else.

The transport, its attempt policy, SSE decoding, capped bodies, pools,
socket deadlines, draining, the credential and its redactor, the error builders.

The only package that imports `httpx`, `httpx2`, `httpcore` or `h11`.
"""
