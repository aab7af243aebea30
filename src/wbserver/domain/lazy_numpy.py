"""numpy, imported on first use instead of at start (≈0.1 CPU-second the server's start does
not need: no request has touched a history column yet).

    if TYPE_CHECKING:
        import numpy as np
    else:
        from wbserver.domain.lazy_numpy import np

The first attribute read imports numpy (the import system's lock makes concurrent first reads
safe) and copies its names onto this module, so that later reads are plain module lookups.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

_OWN = ("__name__", "__doc__", "__spec__", "__loader__", "__path__", "__file__", "__package__")


class _NumpyOnUse(ModuleType):
    def __getattr__(self, name: str) -> Any:  # called only for a name not copied yet
        import numpy

        self.__dict__.update({k: v for k, v in vars(numpy).items() if k not in _OWN})
        return getattr(numpy, name)


np = _NumpyOnUse("numpy (on first use)")
