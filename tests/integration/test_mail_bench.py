"""bench/mail.py runs: its floors, its naive sender and a real Celery worker drain a few mails
into an SMTP server on loopback, and every mail the worker sends arrives."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.mailbox import Mailbox

RUN = Path(__file__).resolve().parents[2] / "bench" / "mail.py"


def test_the_mail_bench_measures_every_sender_and_the_worker_sends_each_mail():
    mailbox = Mailbox().start()
    try:
        argv = [sys.executable, str(RUN), "--mails", "30", "--sample", "5", "--floor-sample", "5"]
        done = subprocess.run(
            [*argv, "--smtp-port", str(mailbox.port)], capture_output=True, text=True, timeout=120
        )
    finally:
        mailbox.stop()

    assert done.returncode == 0, done.stdout + done.stderr
    for sender in ("floor", "pipelined", "naive", "worker"):
        assert re.search(rf"^{sender} .* \d+ mails/s", done.stdout, re.MULTILINE), done.stdout
    worker_mails = [m for m in mailbox.messages if m["To"].startswith("worker")]
    assert len({m["To"] for m in worker_mails}) == 30
