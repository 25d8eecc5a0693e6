"""A langchain-community SQL agent on `ChatMashaGPT`, as LangGraph's SQL tutorial builds it.

`SQLDatabaseToolkit` on a small SQLite file and `create_agent` with the
tutorial's prompt, in the four modes: the agent lists the tables, reads a
schema, has its query checked and runs it, then answers from the rows. The
query checker is itself a chain on the same model (the toolkit's `llm`), so
one request of the run goes out from inside a tool: a user message of the
toolkit's own prompt, with no functions. Every request is checked.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain.agents import create_agent
from langchain_community.agent_toolkits import SQLDatabaseToolkit
from langchain_community.tools.sql_database.prompt import QUERY_CHECKER
from langchain_community.utilities import SQLDatabase

from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.testing import MashaGPTEmulator, Reply
from tests.frameworks.helpers import Mode, Turn, call, expect_requests, result, system, user

QUESTION = "How many artists are there?"
QUERY = "SELECT COUNT(*) FROM artists"
ANSWER = "There are 3 artists."
FUNCTIONS = ["sql_db_query", "sql_db_schema", "sql_db_list_tables", "sql_db_query_checker"]
SCHEMA = (
    "\nCREATE TABLE artists (\n\tid INTEGER, \n\tname TEXT NOT NULL, \n\tPRIMARY KEY (id)\n)\n\n"
    "/*\n3 rows from artists table:\nid\tname\n1\tAC/DC\n2\tQueen\n3\tMiles Davis\n*/"
)
PROMPT = """You are an agent designed to interact with a SQL database.
Given an input question, create a syntactically correct {dialect} query to run,
then look at the results of the query and return the answer. Unless the user
specifies a specific number of examples they wish to obtain, always limit your
query to at most {top_k} results.

You MUST double check your query before executing it. If you get an error while
executing a query, rewrite the query and try again.

To start you should ALWAYS look at the tables in the database to see what you
can query. Do NOT skip this step.

Then you should query the schema of the most relevant tables."""
"""The system prompt of LangGraph's SQL agent tutorial (shortened)."""


@pytest.fixture
def database(tmp_path: Path) -> Iterator[SQLDatabase]:
    path = tmp_path / "music.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(
            "CREATE TABLE artists (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
            "INSERT INTO artists (name) VALUES ('AC/DC'), ('Queen'), ('Miles Davis');"
        )
    connection.close()
    db = SQLDatabase.from_uri(f"sqlite:///{path}")
    yield db
    db._engine.dispose()  # the file's connections, closed before tmp_path goes


async def test_the_sql_agent_explores_checks_queries_and_answers(
    emu: MashaGPTEmulator, model: ChatMashaGPT, database: SQLDatabase, mode: Mode
) -> None:
    emu.enqueue(
        Reply.function_call("sql_db_list_tables", "{}"),
        Reply.function_call("sql_db_schema", '{"table_names": "artists"}'),
        Reply.function_call("sql_db_query_checker", f'{{"query": "{QUERY}"}}'),
        Reply.text(QUERY),
        Reply.function_call("sql_db_query", f'{{"query": "{QUERY}"}}'),
        Reply.text(ANSWER),
    )
    tools = SQLDatabaseToolkit(db=database, llm=model).get_tools()
    prompt = PROMPT.format(dialect=database.dialect, top_k=5)
    agent = create_agent(model, tools, system_prompt=prompt)

    state = await mode.graph(agent, {"messages": [("user", QUESTION)]})

    assert state["messages"][-1].content == ANSWER
    tool_results = [(m.name, m.content) for m in state["messages"] if m.type == "tool"]
    assert tool_results == [
        ("sql_db_list_tables", "artists"),
        ("sql_db_schema", SCHEMA),
        ("sql_db_query_checker", QUERY),
        ("sql_db_query", "[(3,)]"),
    ]
    asked = [system(prompt), user(QUESTION)]
    explored = [
        *asked,
        call("sql_db_list_tables"),
        result("sql_db_list_tables", "artists"),
        call("sql_db_schema", table_names="artists"),
        result("sql_db_schema", SCHEMA),
    ]
    checked = [
        *explored,
        call("sql_db_query_checker", query=QUERY),
        result("sql_db_query_checker", QUERY),
    ]
    queried = [*checked, call("sql_db_query", query=QUERY), result("sql_db_query", "[(3,)]")]
    expect_requests(
        emu,
        mode.streams,
        Turn(asked, FUNCTIONS, "auto"),
        Turn(explored[:4], FUNCTIONS, "auto"),
        Turn(explored, FUNCTIONS, "auto"),
        Turn([user(QUERY_CHECKER.format(query=QUERY, dialect="sqlite"))]),
        Turn(checked, FUNCTIONS, "auto"),
        Turn(queried, FUNCTIONS, "auto"),
    )
