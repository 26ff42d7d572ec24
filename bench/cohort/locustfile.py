"""A cohort of invitees through the whole journey, as Locust users over HTTP.

Usually started by `bench/cohort/run.py`, which brings up the stack first. On its own, against
a running stack that trusts one proxy (`TRUSTED_PROXIES=1`: each invitee comes from an address
of its own) and whose SMTP sink keeps its mails in a folder (`python -m workers.mail_sink`):

    locust -f bench/cohort/locustfile.py --headless --users 16 --spawn-rate 16 \\
        --host http://127.0.0.1:5000 --invitees 200 --api-token ob_… --inbox var/mail

The administrator invites everyone through the API (`POST /api/invitations`, CSV in chunks of
1,000) while the invitees already wait for their mail. Each user then takes the next invitee
and, in a fresh browser (cookie jar) coming from an address of its own (`X-Forwarded-For`, the
stack trusting one proxy), waits for the invitation mail to arrive in the sink's folder,
follows its link (the invitation page), clicks "Create your account" (the app's authorization
request at Connect, which shows the registration form filled in from the invitation), fetches
the captcha's challenge and solves the proof of work in Python as the ALTCHA widget would, posts
the form with a password (Connect logs the account in and the code goes back to the app's
callback, landing on the page with Accept), and clicks Accept.

At the end it prints journeys per minute, the total time, p50/p95 per step, the errors and
the lost mail (invited minus received), and exits non-zero on any error or lost mail.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import resource
import time
from email.utils import parseaddr
from html import unescape
from pathlib import Path
from typing import Any

import gevent
from gevent.event import Event
from gevent.resolver.blocking import Resolver
from locust import FastHttpUser, events, task
from locust.clients import HttpSession
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import Runner

from onboarding.identity import captcha
from tests.helpers import PASSWORD, csrf_token
from tests.mailbox import parsed

CHUNK = 1000  # rows per CSV invite call
LINK = re.compile(r"https?://[^\s\"<>]+/invitations/[A-Za-z0-9_-]+")
PERCENTILES = (0.5, 0.95)

# The stack is named by its IP addresses: gevent's default resolver would still hand each new
# connection (gunicorn's sync workers close every one) to a thread of its pool and back.
gevent.get_hub().resolver = Resolver()


def address(n: int) -> str:
    return f"invitee{n}@cohort.example"


# A form's fields by regular expressions, not an HTML parser: the register form lists 250
# countries, and the pages are our own templates (attributes double-quoted, values escaped).
INPUT = re.compile(r"<input\b([^>]*)>")
SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.DOTALL)
SELECTED = re.compile(r"<option\b([^>]*\bselected\b[^>]*)>")
ATTRIBUTE = re.compile(r'([\w-]+)(?:="([^"]*)")?')


def attributes(tag: str) -> dict[str, str]:
    return {name: unescape(value) for name, value in ATTRIBUTE.findall(tag)}


def form_fields(html: str, form_id: str) -> dict[str, str]:
    """The values a browser sends with the form `form_id`: its named inputs and the selected
    option of each select ("" when none is)."""
    form = re.search(rf'<form\b[^>]*\bid="{form_id}"[^>]*>(.*?)</form>', html, re.DOTALL)
    if form is None:
        return {}
    fields = {}
    for tag in INPUT.findall(form.group(1)):
        found = attributes(tag)
        if "name" in found:
            fields[found["name"]] = found.get("value", "")
    for tag, options in SELECT.findall(form.group(1)):
        selected = SELECTED.search(options)
        value = attributes(selected.group(1)).get("value", "") if selected else ""
        fields[attributes(tag).get("name", "")] = value
    return fields


class Postman:
    """Reads the sink's folder as mail arrives and hands each invitee its invitation link."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seen: set[str] = set()
        self.links: dict[str, str] = {}
        self.arrived: dict[str, Event] = {}

    def waiting_for(self, to: str) -> Event:
        return self.arrived.setdefault(to, Event())

    def collect(self) -> None:
        if not self.folder.is_dir():
            return
        for entry in os.scandir(self.folder):
            name = entry.name
            if not name.endswith(".eml") or name in self.seen:
                continue
            self.seen.add(name)
            mail = parsed((self.folder / name).read_bytes())
            body = mail.get_body(("plain",))
            link = LINK.search(body.get_content() if body else "")
            if link is None:
                continue
            to = parseaddr(str(mail["To"]))[1]
            if to not in self.links:
                self.links[to] = link.group(0)
                self.waiting_for(to).set()

    def run(self) -> None:
        while True:
            self.collect()
            gevent.sleep(0.1)


def cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


class Cohort:
    """The run's shared state: who is next, who is done, what went wrong."""

    def __init__(self, environment: Environment) -> None:
        options = environment.parsed_options
        assert options is not None
        self.environment = environment
        self.invitees: int = options.invitees
        self.postman = Postman(Path(options.inbox))
        self.next_invitee = itertools.count()
        self.finished = 0
        self.accepted = 0
        self.invited = 0
        self.errors: list[str] = []
        self.solving = 0.0  # CPU seconds of the proofs of work
        self.cpu_at_start = cpu_seconds()  # not counting Locust's start-up
        self.started = time.monotonic()
        self.ended: float | None = None

    def invite_everyone(self, host: str, token: str) -> None:
        """The administrator's CSV invites, 1,000 rows a call."""
        admin = HttpSession(host, self.environment.events.request, user=None)
        admin.headers["Authorization"] = f"Bearer {token}"
        for first in range(0, self.invitees, CHUNK):
            rows = ["first_name,last_name,email,language,roles"] + [
                f"Invitee,{n},{address(n)},en,viewer"
                for n in range(first, min(first + CHUNK, self.invitees))
            ]
            with admin.post(
                "/api/invitations",
                data="\n".join(rows).encode(),
                headers={"Content-Type": "text/csv"},
                name=f"admin: invite {CHUNK:,} from CSV",
                catch_response=True,
                timeout=300,
            ) as answer:
                if answer.status_code == 201:
                    self.invited += answer.json()["accepted"]
                    answer.success()
                else:
                    self.fail(f"invite: {answer.status_code} {answer.text[:200]}")
                    answer.failure(f"{answer.status_code}")

    def fail(self, what: str) -> None:
        self.errors.append(what)

    def done(self, accepted: bool) -> None:
        self.finished += 1
        self.accepted += accepted
        if self.finished == self.invitees:
            self.ended = time.monotonic()
            runner: Runner | None = self.environment.runner
            assert runner is not None
            gevent.spawn(runner.quit)


COHORT: Cohort | None = None


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--invitees", type=int, default=10_000, help="how many to invite")
    parser.add_argument("--api-token", default="", help="an API token of the organization")
    parser.add_argument("--inbox", default="var/mail", help="the SMTP sink's folder of mails")
    parser.add_argument("--mail-timeout", type=float, default=300, help="seconds to wait")


@events.test_start.add_listener
def _start(environment: Environment, **_: Any) -> None:
    global COHORT
    COHORT = Cohort(environment)
    assert environment.host and environment.parsed_options is not None
    gevent.spawn(COHORT.postman.run)
    gevent.spawn(COHORT.invite_everyone, environment.host, environment.parsed_options.api_token)


@events.quitting.add_listener
def _report(environment: Environment, **_: Any) -> None:
    if COHORT is None:
        return
    cohort = COHORT
    cohort.postman.collect()
    total = (cohort.ended or time.monotonic()) - cohort.started
    invited = cohort.invited
    received = sum(1 for n in range(cohort.invitees) if address(n) in cohort.postman.links)
    lost = invited - received
    failures = environment.stats.total.num_failures
    errors = len(cohort.errors) + failures
    print()
    print(f"cohort: {invited} invited, {cohort.accepted} accepted in {total:.1f} s")
    print(f"  {cohort.accepted / total * 60:.1f} journeys per minute")
    print(f"  mail: {invited} invited, {received} received, {lost} lost")
    used, each = cpu_seconds() - cohort.cpu_at_start, 1000 / max(cohort.finished, 1)
    print(
        f"  the simulated browsers used {used:.1f} CPU seconds ({used * each:.1f} ms per invitee), "
        f"{cohort.solving:.1f} of them ({cohort.solving * each:.1f} ms) solving proofs of work "
        f"({os.cpu_count()} cores)"
    )
    print(f"  {'step':<48} {'count':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for entry in sorted(environment.stats.entries.values(), key=lambda e: e.name):
        p50, p95 = (entry.get_response_time_percentile(p) for p in PERCENTILES)
        print(f"  {entry.name:<48} {entry.num_requests:>7} {p50:>8} {p95:>8}")
    print(f"  errors: {errors}")
    for what in sorted(set(cohort.errors))[:10]:
        print(f"    {what}")
    for error in list(environment.stats.errors.values())[:10]:
        print(f"    {error.occurrences}× {error.name}: {error.error}")
    environment.process_exit_code = 1 if errors or lost or cohort.accepted < invited else 0


def said(page: str) -> str:
    """What a page says, in short: its heading and first paragraph."""
    parts = [re.search(rf"<{tag}[^>]*>(.*?)</{tag}>", page, re.DOTALL) for tag in ("h1", "p")]
    text = " ".join(re.sub(r"<[^>]+>|\s+", " ", part.group(1)) for part in parts if part)
    return " ".join(text.split())[:200]


def measured(environment: Environment, kind: str, name: str, started: float) -> None:
    """A step that is no HTTP request (waiting for mail, solving the captcha) in the stats."""
    environment.events.request.fire(
        request_type=kind,
        name=name,
        response_time=(time.perf_counter() - started) * 1000,
        response_length=0,
        exception=None,
        context={},
    )


def solve(challenge: dict[str, Any]) -> tuple[str, float]:
    """The captcha's answer, as the ALTCHA widget finds it, and the CPU time it took."""
    started = time.thread_time()
    return captcha.solve(challenge), time.thread_time() - started


class Invitee(FastHttpUser):
    """One browser after another, each an invitee from the mail to Accept. geventhttpclient,
    not requests: about half the browsers' CPU per page."""

    # Not a `timeout=` per request: FastHttpSession would post it as a form field.
    network_timeout = connection_timeout = 120.0
    forwarded_for = ""

    @task
    def journey(self) -> None:
        cohort = COHORT
        assert cohort is not None
        n = next(cohort.next_invitee)
        if n >= cohort.invitees:
            raise StopUser()
        accepted = False
        try:
            accepted = self.walk(cohort, n)
        except Exception as error:  # noqa: BLE001 - any failure of a journey is an error to count
            cohort.fail(f"{type(error).__name__}: {error}"[:200])
        finally:
            cohort.done(accepted)

    def walk(self, cohort: Cohort, n: int) -> bool:
        to = address(n)
        self.client.cookiejar.clear()
        self.forwarded_for = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        options = self.environment.parsed_options
        assert options is not None

        started = time.perf_counter()
        if not cohort.postman.waiting_for(to).wait(options.mail_timeout):
            cohort.fail("no invitation mail")
            return False
        measured(self.environment, "MAIL", "0 wait for the invitation mail", started)
        begun = time.perf_counter()
        link = cohort.postman.links[to]

        page = self.step("GET", link, "1 invitation page", "Create your account")
        if page is None:
            return False
        follow = {"csrf_token": csrf_token(page.text), "then": "create"}
        form = self.step("POST", link, "2 create your account: Connect's form", "password", follow)
        if form is None:
            return False
        fields = form_fields(form.text, "register")
        connect = form.url.split("/register", 1)[0]

        challenge = self.step("GET", f"{connect}/captcha/challenge", "3 captcha challenge", "")
        if challenge is None:
            return False
        solving = time.perf_counter()
        # In a thread of its own, so that the other invitees' requests go on meanwhile.
        solution, cpu = gevent.get_hub().threadpool.apply(solve, (json.loads(challenge.content),))
        cohort.solving += cpu
        measured(self.environment, "CPU", "3 solve the proof of work (client)", solving)

        fields |= {"altcha": solution, "password": PASSWORD, "password_confirmation": PASSWORD}
        landed = self.step(
            "POST", f"{connect}/register", "4 register, log in: the Accept page", "Accept", fields
        )
        if landed is None:
            return False
        accept = re.search(r'action="([^"]*/accept)"', landed.text)
        if accept is None:
            cohort.fail("no Accept form")
            return False
        done = self.step(
            "POST",
            accept.group(1),
            "5 accept",
            "You accepted the invitation",
            {"csrf_token": csrf_token(landed.text)},
        )
        if done is None:
            return False
        measured(self.environment, "JOURNEY", "whole journey (from the mail)", begun)
        return True

    def step(
        self, method: str, url: str, name: str, expect: str, data: dict[str, str] | None = None
    ) -> Any:
        """One click of the browser (redirects followed); the page, or None when it failed."""
        with self.client.request(
            method,
            url,
            data=data,
            name=name,
            catch_response=True,
            headers={"X-Forwarded-For": self.forwarded_for},
        ) as response:
            page = response.text or ""  # None when no answer came (connection refused…)
            if response.status_code != 200 or expect not in page:
                at = response.url.split("?", 1)[0]
                what = said(page) or str(getattr(response, "error", ""))
                response.failure(f"{response.status_code} at {at}: {what}")
                return None
            return response
