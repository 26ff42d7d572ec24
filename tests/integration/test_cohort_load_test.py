"""The cohort load test of bench/cohort/ runs: three invitees go from the invitation mail to
accepted over HTTP against the whole stack (gunicorn app and Connect, a Celery worker, Redis,
the SMTP sink, PostgreSQL), and its report counts them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import POSTGRES_URL

RUN = Path(__file__).resolve().parents[2] / "bench" / "cohort" / "run.py"


def test_three_invitees_go_from_the_mail_to_accepted_under_the_load_test(postgres_url):
    argv = [sys.executable, str(RUN), "--invitees", "3", "--users", "3"]
    argv += ["--altcha-max-number", "1000", "--postgres-url", POSTGRES_URL]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=240)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "cohort: 3 invited, 3 accepted in" in done.stdout
    assert "mail: 3 invited, 3 received, 0 lost" in done.stdout
    assert "errors: 0" in done.stdout
    assert re.search(r"^  5 accept +3 ", done.stdout, re.MULTILINE)
