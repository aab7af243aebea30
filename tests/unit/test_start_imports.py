"""What the server's start imports: numpy and Babel's catalogue tools wait for first use
(issue 24: startup < 1 s), and the numpy they give then is the real one."""

from __future__ import annotations

import subprocess
import sys

START_MODULES = """
import sys
import wbserver.app, wbserver.cli, wbserver.http_server
print(sorted(m for m in ("numpy", "babel.messages", "babel.support") if m in sys.modules))
"""


def test_the_server_start_imports_neither_numpy_nor_babel() -> None:
    done = subprocess.run([sys.executable, "-c", START_MODULES], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_numpy_on_first_use_is_numpy() -> None:
    import numpy

    from wbserver.domain.history_codec import np

    values = np.asarray([1.5, 2.5], dtype=np.float64)
    assert isinstance(values, numpy.ndarray)
    assert np.ndarray is numpy.ndarray and np.linalg is numpy.linalg
    assert float(np.nanmax(values)) == 2.5
    try:
        np.no_such_name  # noqa: B018
    except AttributeError:
        pass
    else:
        raise AssertionError("a name numpy lacks must raise AttributeError")


def test_the_first_page_in_spanish_still_translates() -> None:
    from wbserver.web.i18n import translations

    assert translations("es").gettext("running") != "running"
    assert translations("en").gettext("running") == "running"
