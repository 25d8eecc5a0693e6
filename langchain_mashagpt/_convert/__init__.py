"""Pure conversion between LangChain and the wire.

Pure conversion between LangChain and the wire: requests, answers, gateway
extras and usage.
"""
