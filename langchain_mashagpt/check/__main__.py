"""`python -m langchain_mashagpt.check`: see `langchain_mashagpt.check`."""

from langchain_mashagpt.check._cli import main

raise SystemExit(main())
