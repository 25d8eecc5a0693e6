"""HTTP: everything that talks to the server, and nothing else.

The transport, its attempt policy, SSE decoding, capped bodies, pools,
socket deadlines, draining, the credential and its redactor, the error builders,
and the wire tap of `mashagpt-check`. Every reach into the libraries' private
attributes is in `borrowed`.

The only package that imports `httpx`, `httpx2`, `httpcore` or `h11`
(`tests/unit_tests/test_boundaries.py` checks it).
"""
