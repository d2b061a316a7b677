"""Package layout that pyproject.toml cannot express on its own.

The Alembic scripts stay in the top-level ``migrations/`` folder people expect,
and ship inside the wheel as ``app/alembic_scripts/`` (``app.migrations`` finds
them there once installed). pyproject's ``packages.find`` cannot be combined
with an extra mapped directory, hence this file; everything else is in
pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["app", "app.*"]),
        "app.catalogue.data",
        "app.assessments.data",
        "app.alembic_scripts",
        "app.alembic_scripts.versions",
    ],
    package_dir={"app.alembic_scripts": "migrations"},
)
