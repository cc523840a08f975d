"""Supervision rules as plain values and functions: no database, broker, network or clock reads."""
