"""`onboarding serve`: the whole system on embedded defaults, as child processes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from onboarding.settings import Settings


@dataclass(frozen=True)
class Service:
    name: str
    argv: list[str]


def _port(url: str) -> str:
    return str(urlsplit(url).port or 80)


def _gunicorn(name: str, url: str, app: str) -> Service:
    """A web application under gunicorn on loopback, at the port of its public `url`."""
    bind = f"127.0.0.1:{_port(url)}"
    # web.serving warms each new worker up before its first request.
    argv = ["-m", "gunicorn", "-c", "python:web.serving", "--workers", "2", "--bind", bind, app]
    return Service(name, [sys.executable, *argv])


def services(settings: Settings) -> list[Service]:
    """What runs: the app, Connect, the Celery worker with beat, and (where configured) the rest."""
    python = sys.executable
    # The local SMTP sink and its inbox page stand in for a mail server on one machine.
    mail_sink = (
        [Service("mail", [python, "-m", "workers.mail_sink"])] if settings.local_mail_sink else []
    )
    return mail_sink + [
        _gunicorn("app", settings.app_base_url, "web:create_app()"),
        _gunicorn("connect", settings.connect_issuer, "web:create_connect_app()"),
        Service(
            "worker",
            [
                python,
                "-m",
                "celery",
                "-A",
                "workers.celery_app",
                "worker",
                "--beat",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--schedule",
                str(settings.var_dir / "celerybeat-schedule"),
            ],
        ),
    ]


def run(settings: Settings) -> int:
    """Start every service, stop them all when one dies or on Ctrl-C; returns the exit code."""
    children = {
        service.name: subprocess.Popen(service.argv)  # noqa: S603
        for service in services(settings)
    }
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"{name} exited with {child.returncode}; stopping", file=sys.stderr)
                code, stopping = child.returncode or 1, True
        time.sleep(0.5)
    for child in children.values():
        if child.poll() is None:
            child.terminate()
    for child in children.values():
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
    return code
