"""The package is described in pyproject.toml; this file only adds the optional C accelerator
for history ingest. Without a C compiler the build goes on without it and wbserver uses its
pure-Python path (the same results, slower)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("wbserver.domain._accel",
                             ["src/wbserver/domain/_accel.c"],
                             optional=True)])
