"""Endpoints of API.md "Examination"."""

SERVICE = "examination"
TAGS = ("examination",)

ROUTES = []
