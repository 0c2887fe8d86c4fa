"""What the scenarios import: environment, cleanup, waiting, Compose, load... (the command-line
tools are in tests/tools)."""
