"""The suite's command-line tools (the soak, the chapters' timing, the gate's chart, the
specification's generator): run by `make`, never imported by a scenario."""
