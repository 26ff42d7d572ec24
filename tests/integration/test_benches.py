"""The benchmarks of bench/ run: each at a small size, to the end, printing what it measures.
(bench/cohort/ has its own test.) What they measure is not checked here: only that they still
measure it, since nothing else runs them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL
from tests.mailbox import Mailbox

BENCH = Path(__file__).resolve().parents[2] / "bench"


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_mail_bench_measures_every_sender_and_the_worker_sends_each_mail():
    mailbox = Mailbox().start()
    try:
        out = run(
            "mail.py", "--mails", "30", "--sample", "5", "--floor-sample", "5",
            "--smtp-port", str(mailbox.port),
        )  # fmt: skip
    finally:
        mailbox.stop()

    for sender in ("floor", "pipelined", "composed", "naive", "worker"):
        assert re.search(rf"^{sender} .* \d+ mails/s", out, re.MULTILINE), out
    for processes in ("worker1-", "worker2-"):
        worker_mails = [m for m in mailbox.messages if m["To"].startswith(processes)]
        assert len({m["To"] for m in worker_mails}) == 30


PG = ["--postgres-url", POSTGRES_URL]
SMALL_RUNS = [
    pytest.param(
        "enumeration.py", ["--requests", "3"], r"^register +existing .* p = ", id="enumeration"
    ),
    pytest.param(
        "sweep.py",
        ["--journeys", "300", "--stale", "30", "--url", POSTGRES_URL],
        r"^per-row loop / expire_stale: [\d.]+x$",
        id="sweep",
    ),
    pytest.param(
        "dashboard.py",
        ["--journeys", "300", "--organizations", "3", "--bulk-rows", "20", "--url", POSTGRES_URL],
        r"^bulk invite of 20 CSV rows",
        id="dashboard",
    ),
    pytest.param(
        "login_profile.py",
        ["--log-ins", "2", *PG],
        r"GET .*/auth/callback: [\d.]+ ms",
        id="login_profile",
    ),
    pytest.param(
        "logins.py",
        ["--seconds", "2", "--warm-up", "1", "--people", "6", "--clients", "2", *PG],
        r"^  failures: 0 ",
        id="logins",
    ),
    *(
        pytest.param(
            "faults.py", [scenario, "--mails", "60", *PG], r"lost 0", id=f"faults {scenario}"
        )
        for scenario in ("kill", "drop", "scale", "broker")
    ),
    pytest.param(
        "web.py",
        ["--seconds", "1", "--connections", "2", *PG],
        # The yardsticks and the last page answer without a 4xx/5xx.
        r"^bare page \+ a form's CSRF token +\d+ .* 0$\n"
        r"^thin invitation page \(its work alone\) +\d+ .* 0$[\s\S]*"
        r"^Connect GET /authorize \(a browser's\) +\d+ .* 0$",
        id="web",
    ),
    pytest.param(
        "page_cost.py",
        ["--requests", "3", "--rounds", "1", *PG],
        r"^thin invitation page \(its work alone\) +200 OK[\s\S]*^Connect GET /register +200 OK",
        id="page_cost",
    ),
]


@pytest.mark.parametrize(("script", "args", "printed"), SMALL_RUNS)
def test_a_bench_runs_to_its_figures(postgres_url, script, args, printed):
    # `postgres_url`: these benches make databases of their own on the server it is on.
    assert re.search(printed, run(script, *args), re.MULTILINE)
