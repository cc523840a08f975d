"""Every endpoint of the gateway, one module per service."""

from gateway.routes import examination, nomination, records, supervision

ROUTES = nomination.ROUTES + examination.ROUTES + supervision.ROUTES + records.ROUTES
