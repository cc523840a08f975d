"""Every CadreError crosses an RPC as itself: registered with nameko so the caller rebuilds the same class.

Kept apart from ``errors`` so that the rules (domain/), which raise these errors, do not load nameko.
"""

from nameko.exceptions import deserialize_to_instance

from services.common.errors import CadreError


def _register(cls):
    for sub in cls.__subclasses__():
        deserialize_to_instance(sub)
        _register(sub)


_register(CadreError)
