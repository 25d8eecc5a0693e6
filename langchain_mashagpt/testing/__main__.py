"""`python -m langchain_mashagpt.testing`: run the emulator in the foreground."""

from langchain_mashagpt.testing._cli import main

raise SystemExit(main())
