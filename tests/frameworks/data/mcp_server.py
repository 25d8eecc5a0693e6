"""A small MCP server over stdio for the langchain-mcp-adapters tests (the `mcp` package's FastMCP).

Two tools with names the MashaGPT API refuses in a function's name:
`resolve-library-id` answers with several text blocks, as documentation
servers (Context7) do, and `get.weather` with one. Run it as
`python mcp_server.py`; it speaks MCP on its standard input and output.
"""

from __future__ import annotations

from mcp.server.fastmcp import FastMCP
from mcp.types import TextContent

server = FastMCP("docs", log_level="WARNING")


@server.tool(name="resolve-library-id")
def resolve_library_id(library_name: str) -> list[TextContent]:
    """Resolve a library's name to its documentation id."""
    return [
        TextContent(type="text", text=f"Library: {library_name}"),
        TextContent(type="text", text=f"ID: /langchain-ai/{library_name}"),
    ]


@server.tool(name="get.weather")
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny, 21 °C in {city}"


if __name__ == "__main__":
    server.run("stdio")
