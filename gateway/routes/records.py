"""Endpoints of API.md "Records"."""

SERVICE = "records"
TAGS = ("records",)

ROUTES = []
