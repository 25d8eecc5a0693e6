"""Tests of the bundled MashaGPT emulator (`langchain_mashagpt.testing`)."""
