"""Function calling over the API's legacy `functions` protocol.

Function calling over the legacy `functions` protocol: tool schemas, wire-safe
names, the batch function, the call plan and its outcome, `response_format`
and structured output. Pure; imports nothing from `_http`.
"""
