"""Pure rules of the nomination service (no I/O); service.py wires them to storage and the bus."""
