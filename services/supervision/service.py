"""Supervision service entrypoints."""
from services.common.base import HealthMixin, chassis


class SupervisionService(HealthMixin):
    name = "supervision"
    db, caller, relay, metrics = chassis("supervision")
