"""Rules of the examination service (public selection), as plain functions with no I/O."""
