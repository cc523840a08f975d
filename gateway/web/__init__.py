"""Web pages served by the gateway: the public notice board and the department console (docs/web.md)."""
