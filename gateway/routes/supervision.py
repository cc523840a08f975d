"""Endpoints of API.md "Supervision"."""

SERVICE = "supervision"
TAGS = ("supervision",)

ROUTES = []
