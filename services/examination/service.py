"""Examination service entrypoints."""
from services.common.base import HealthMixin, chassis


class ExaminationService(HealthMixin):
    name = "examination"
    db, caller, relay, metrics = chassis("examination")
