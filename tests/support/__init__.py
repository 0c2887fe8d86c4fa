"""Helpers for the specification: environment, cleanup, waiting, Compose."""
