"""Dependencies point inward: the domain imports neither Flask nor Celery nor the entry points."""

import subprocess
import sys

PROBE = """
import importlib, pkgutil, sys
import onboarding
for module in pkgutil.walk_packages(onboarding.__path__, "onboarding."):
    if ".migrations" not in module.name:
        importlib.import_module(module.name)
outer = sorted({name.split(".")[0] for name in sys.modules} & {"flask", "celery", "web", "workers"})
print(",".join(outer))
"""


def test_the_domain_imports_no_framework_and_no_entry_point():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == ""
