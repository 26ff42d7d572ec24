"""Hostile requests to every route of a Flask application, and what a good answer is.

A `Sweep` walks `app.url_map`. For each rule and method it sends the path with junk in each
path parameter; then a baseline request (the form the application's own pages show for that
path, plus a seed) and the same again with each query parameter and form field replaced in
turn by junk; then duplicated parameters, non-UTF-8 bytes, odd content types and headers, and
junk bodies for views that read the body. The fields a view reads are recorded while it runs,
so a field read only once another one passed is swept too.

Every answer must be below 500, and a 4xx must say what is wrong: an HTML page with a heading
and a sentence, or a JSON error.
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import BytesIO
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, Request
from flask.testing import FlaskClient
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import AnyConverter, IntegerConverter, Rule
from werkzeug.test import TestResponse
from werkzeug.utils import cached_property

LONG = "x" * 10_000

# What a person can type into a field or a query parameter (plus leaving it out).
TEXT_JUNK = {
    "empty": "",
    "10k characters": LONG,
    "NUL and control characters": "a\x00b\x01\x1b[2J\x7f\u202e",
    "letters": "abc",
    "negative number": "-1",
    "huge number": "9" * 40,
    "superscript digit": "²",
    "non-ASCII": "Zoë ✓ 🚀",
}
# Path parameters, percent-encoded as they arrive.
INT_PATH_JUNK = ("0", "-1", "2147483648", "9223372036854775808", "9" * 40, "abc", "1.5", "%FF")
TEXT_PATH_JUNK = (
    "A" * 43,
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
    "%00",
    "%FF%FE",
    "x" * 10_000,
    "%2E%2E",
    "a%0Ab",
    "Zo%C3%AB",
    "%3Cscript%3E",
)
# Values of a JSON field, for seeds that carry a JSON body.
JSON_JUNK: dict[str, Any] = {
    "null": None,
    "array": [1, 2],
    "object": {"a": 1},
    "empty string": "",
    "10k characters": LONG,
    "NUL": "\x00",
    "letters": "abc",
    "negative number": -1,
    "huge number": 10**40,
    "fraction": 1.5,
    "boolean": True,
}
BODY_JUNK = {
    "JSON array": (b"[]", "application/json"),
    "JSON string": (b'"x"', "application/json"),
    "JSON null": (b"null", "application/json"),
    "JSON infinity": (b"1e999", "application/json"),
    "deeply nested JSON": (b"[" * 100_000, "application/json"),
    "broken JSON": (b'{"a":', "application/json"),
    "non-UTF-8 bytes": (b"\xff\xfe\x00", "application/json"),
    "empty body": (b"", "application/json"),
    "non-UTF-8 text": (b"\xff\xfe\x00a,b\n", "text/csv"),
}
FILE_JUNK = {
    "empty file": b"",
    "non-UTF-8 file": b"\xff\xfe\x00abc",
    "file with NUL": b"a\x00b\n",
    "10k-character file": LONG.encode(),
}
CONTENT_TYPE_JUNK = {
    "text/plain body": "text/plain",
    "multipart without boundary": "multipart/form-data",
    "form in an unknown charset": "application/x-www-form-urlencoded; charset=klingon",
    "form sent as JSON": "application/json",
}
HEADER_JUNK = {
    "JSON wanted": {"Accept": "application/json"},
    "junk bearer token": {"Authorization": "Bearer " + "A" * 43},
    "junk authorization": {"Authorization": "Basic %%%"},
    "junk languages": {"Accept-Language": "zz;q=abc, *;q=-1, \xff"},
}


@dataclass
class Reads:
    """What the view read while answering: query parameters, form fields, the body."""

    query: set[str] = field(default_factory=set)
    form: set[str] = field(default_factory=set)
    body: bool = False


READS = Reads()  # of the request being answered (the test client runs views in this thread)


class _Recorded(ImmutableMultiDict):  # type: ignore[type-arg]
    kind = "query"

    def _note(self, key: object) -> None:
        if isinstance(key, str) and not key.startswith("csrf"):
            getattr(READS, self.kind).add(key)

    def __getitem__(self, key: Any) -> Any:
        self._note(key)
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:  # noqa: A002
        self._note(key)
        return super().get(key, default, type)

    def getlist(self, key: Any, type: Any = None) -> Any:  # noqa: A002
        self._note(key)
        return super().getlist(key, type)

    def __contains__(self, key: object) -> bool:
        self._note(key)
        return super().__contains__(key)


class _RecordedForm(_Recorded):
    kind = "form"


class RecordingRequest(Request):
    """A request that notes in READS which parameters the view looks at."""

    @cached_property
    def args(self) -> Any:
        return _Recorded(Request.args.fget(self))  # type: ignore[attr-defined]

    def _load_form_data(self) -> None:
        super()._load_form_data()
        found = self.__dict__
        if not isinstance(found["form"], _RecordedForm):
            found["form"] = _RecordedForm(found["form"])
            found["files"] = _RecordedForm(found["files"])

    def get_data(self, *args: Any, **kwargs: Any) -> Any:
        READS.body = True
        return super().get_data(*args, **kwargs)


@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    files: set[str] = field(default_factory=set)
    typed: dict[str, str] = field(default_factory=dict)  # what text inputs show

    def add(self, name: str | None, value: str) -> None:
        if name and name not in {n for n, _ in self.fields}:
            self.fields.append((name, value))


TYPED = ("text", "email", "search", "tel", "url")  # inputs that show what was typed


class _FormParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__()
        self.page, self.forms = page, []  # type: ignore[var-annotated]
        self.current: Form | None = None
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = urlsplit(a.get("action") or self.page).path or self.page
            self.current = Form((a.get("method") or "get").upper(), action)
            self.forms.append(self.current)
        elif self.current is None:
            return
        elif tag == "input" and a.get("type", "text").lower() not in ("submit", "reset", "image"):
            kind = a.get("type", "text").lower()
            if kind == "file":
                self.current.files.add(a.get("name", ""))
            # One-time codes are not shown again: a refused one is of no more use.
            if kind in TYPED and a.get("name") and a.get("autocomplete") != "one-time-code":
                self.current.typed.setdefault(a["name"], a.get("value", ""))
            self.current.add(a.get("name"), a.get("value", ""))
        elif tag == "button":
            self.current.add(a.get("name"), a.get("value", ""))
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select:
            self.current.add(self.select, a.get("value", ""))
            self.select = None
        elif tag == "textarea":
            self.textarea = a.get("name")

    def handle_data(self, data: str) -> None:
        if self.current is not None and self.textarea:
            self.current.typed.setdefault(self.textarea, data)
            self.current.add(self.textarea, data)
            self.textarea = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None
        elif tag == "textarea" and self.current is not None and self.textarea:
            self.current.add(self.textarea, "")
            self.textarea = None


def forms_in(response: TestResponse, page: str) -> list[Form]:
    if response.mimetype != "text/html":
        return []
    parser = _FormParser(page)
    parser.feed(response.get_data(as_text=True))
    return parser.forms


_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"<(h1|p|li|dd)\b[^>]*>(.*?)</\1>", re.S | re.I)


def unclear(response: TestResponse) -> str | None:
    """Why the 4xx `response` does not tell a person what is wrong, or None if it does."""
    # RFC 6750 3.1: a request without a bearer token is answered with the challenge alone.
    if response.status_code == 401 and response.headers.get("WWW-Authenticate") == "Bearer":
        return None
    if response.is_json:
        body = response.get_json(silent=True)
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and str(error.get("message", "")).strip():
            return None
        # OAuth 2.0 errors (RFC 6749): a code, and a description when there is more to say.
        if isinstance(error, str) and error.strip():
            return None
        # SCIM errors (RFC 7644 §3.12): the Error schema, with a detail.
        if (
            isinstance(body, dict)
            and "urn:ietf:params:scim:api:messages:2.0:Error" in body.get("schemas", [])
            and str(body.get("detail", "")).strip()
        ):
            return None
        return f"JSON without an error message: {response.get_data(as_text=True)[:200]!r}"
    if response.mimetype == "text/html":
        blocks = {tag.lower(): [] for tag in ("h1", "p", "li", "dd")}  # type: ignore[var-annotated]
        for tag, inner in _BLOCK.findall(response.get_data(as_text=True)):
            blocks[tag.lower()].append(" ".join(_TAG.sub(" ", inner).split()))
        heading = any(blocks["h1"])
        sentence = any(len(t.split()) >= 3 for t in blocks["p"] + blocks["li"] + blocks["dd"])
        return None if heading and sentence else "an HTML page without a heading and a message"
    return f"a {response.mimetype or 'body-less'} answer, not a page or a JSON error"


def lost_fields(probe: Probe, response: TestResponse) -> list[str]:
    """Fields of a refused form that the page shown again no longer holds as typed."""
    sent = MultiDict(probe.form or [])
    lost = []
    for form in forms_in(response, probe.path):
        if (form.method, form.action) != (probe.method, probe.path):
            continue
        for name, shown in form.typed.items():
            values = sent.getlist(name)
            typed = values[0] if len(values) == 1 and isinstance(values[0], str) else ""
            if 0 < len(typed) <= 200 and typed != FRESH and not _same(shown, typed):
                lost.append(name)
    return lost


def _same(shown: str, typed: str) -> bool:
    return shown.strip().casefold() == typed.strip().casefold()


@dataclass(frozen=True)
class Seed:
    """A valid request for one endpoint, from which the sweep makes hostile ones."""

    query: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] = field(default_factory=dict)
    json: Any = None


FRESH = "\x00fresh"  # stands for a field value made anew for each request (a captcha answer)


@dataclass
class Probe:
    method: str
    path: str
    label: str
    query: list[tuple[str, str]] | str = field(default_factory=list)
    form: list[tuple[str, Any]] | None = None
    files: frozenset[str] = frozenset()
    body: bytes | None = None
    content_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    fresh: Mapping[str, Callable[[], str]] = field(default_factory=dict)

    def kwargs(self) -> dict[str, Any]:
        found: dict[str, Any] = {"method": self.method, "headers": dict(self.headers)}
        if self.query:
            found["query_string"] = (
                self.query if isinstance(self.query, str) else urlencode(self.query)
            )
        if self.body is not None:
            found["data"], found["content_type"] = self.body, self.content_type
        elif self.form is not None:
            data: MultiDict[str, Any] = MultiDict()
            for name, value in self.form:
                if value == FRESH:
                    value = self.fresh[name]()
                if name in self.files:
                    raw = value if isinstance(value, bytes) else str(value).encode()
                    value = (BytesIO(raw), "people.csv")
                data.add(name, value)
            found["data"] = data
        return found

    def __str__(self) -> str:
        path = self.path if len(self.path) <= 90 else self.path[:60] + "…" + self.path[-20:]
        return f"{self.method} {path} [{self.label}]"


def json_mutations(document: Any, at: str = "") -> Iterator[tuple[str, Any]]:
    """`document` with one field at a time replaced by each JSON junk value."""
    if isinstance(document, dict):
        for key, value in document.items():
            for label, junk in JSON_JUNK.items():
                yield f"{at}{key}={label}", {**document, key: junk}
            for label, inner in json_mutations(value, f"{at}{key}."):
                yield label, {**document, key: inner}
        for label, junk in (("missing " + key, key) for key in document):
            yield f"{at}{label}", {k: v for k, v in document.items() if k != junk}


@dataclass
class Sweep:
    """Hostile requests to every route of `app`; `failures` lists each bad answer."""

    app: Flask
    real: Mapping[str, str]  # a valid value per path parameter ("endpoint:arg" or "arg")
    seeds: Mapping[str, Seed] = field(default_factory=dict)
    body_headers: Callable[[bytes], Mapping[str, str]] = lambda body: {}
    extra_bodies: Mapping[str, tuple[bytes, str]] = field(default_factory=dict)
    fresh: Mapping[str, Callable[[], str]] = field(default_factory=dict)  # by field name
    failures: list[str] = field(default_factory=list)
    sent: int = 0
    _done: set[tuple[str, ...]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.app.request_class = RecordingRequest

    def rules(self) -> list[Rule]:
        return sorted(self.app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))

    def run_as(self, role: str, client: FlaskClient, become: Callable[[], None]) -> None:
        """Sweep every route as `role`; `become` (re)establishes the role's session."""
        self.role, self.client, self.become = role, client, become
        forms: dict[tuple[str, str], Form] = {}
        for rule in self.rules():
            if "GET" in (rule.methods or ()):
                path = self.path(rule)
                response = self.send(Probe("GET", path, "baseline"))
                for form in forms_in(response, path) if response is not None else ():
                    forms.setdefault((form.method, form.action), form)
        for rule in self.rules():
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                self.sweep(rule, method, forms.get((method, self.path(rule))))
            if self._first(rule.endpoint, "405") and not {"PUT"} & (rule.methods or set()):
                self.send(Probe("PUT", self.path(rule), "method not allowed"))

    def _first(self, *key: str) -> bool:
        """True the first time `key` is asked about, in any role: one sweep per parameter."""
        if key in self._done:
            return False
        self._done.add(key)
        return True

    def path(self, rule: Rule, junk: Mapping[str, str] | None = None) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if junk and name in junk:
                return junk[name]
            converter = rule._converters[name]
            if isinstance(converter, AnyConverter):
                return sorted(converter.items)[0]
            default = "1" if isinstance(converter, IntegerConverter) else "x"
            return self.real.get(f"{rule.endpoint}:{name}", self.real.get(name, default))

        return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", value, rule.rule)

    def send(self, probe: Probe) -> TestResponse | None:
        READS.query, READS.form, READS.body = set(), set(), False
        self.become()
        self.sent += 1
        try:
            response = self.client.open(probe.path, **probe.kwargs())
        except Exception as error:  # noqa: BLE001 - every escaping exception is a 500
            first_line = str(error).splitlines()[0] if str(error) else ""
            frame = traceback.extract_tb(error.__traceback__)[-1]
            first_line += f" (at {frame.filename.rsplit('/', 2)[-1]}:{frame.lineno})"
            self.failures.append(
                f"[{self.role}] {probe}: raised {type(error).__name__}: {first_line}"
            )
            return None
        response.get_data()
        response.close()  # files sent as they are (static) hold an open handle
        if response.status_code >= 500:
            self.failures.append(f"[{self.role}] {probe}: status {response.status_code}")
        elif response.status_code >= 400 and (why := unclear(response)):
            self.failures.append(f"[{self.role}] {probe}: {response.status_code} with {why}")
        elif response.status_code >= 400 and (lost := lost_fields(probe, response)):
            self.failures.append(f"[{self.role}] {probe}: refused, and lost what was typed: {lost}")
        return response

    def sweep(self, rule: Rule, method: str, form: Form | None) -> None:
        endpoint = rule.endpoint
        for arg in sorted(rule.arguments):
            converter = rule._converters[arg]
            values = INT_PATH_JUNK if isinstance(converter, IntegerConverter) else TEXT_PATH_JUNK
            for value in values:
                label = f"path {arg}={value[:20]}{'…' if len(value) > 20 else ''}"
                self.send(Probe(method, self.path(rule, {arg: value}), label))
        path = self.path(rule)
        seed = self.seeds.get(endpoint, Seed())
        query = list(seed.query.items())
        fields = (
            [] if method == "GET" else list(form.fields if form else []) + list(seed.form.items())
        )
        fields = [(n, FRESH if n in self.fresh else v) for n, v in fields]
        files = frozenset(form.files if form else ())
        base = Probe(method, path, "baseline", query, fields if method != "GET" else None, files)
        base.fresh = self.fresh
        if seed.json is not None:
            base.body, base.content_type = json.dumps(seed.json).encode(), "application/json"
            base.headers = self.body_headers(base.body)
        response = self.send(base)
        reads = Reads(set(READS.query) | {n for n, _ in query}, set(READS.form), READS.body)
        reads.form |= {n for n, _ in fields}
        self._vary_names(base, reads, endpoint)
        self._whole_request(base, reads, seed, endpoint)
        # A page that asks for more (a confirmation) is the baseline of a second round.
        for found in forms_in(response, path) if response is not None else ():
            if (found.method, found.action) == (method, path) and {
                n for n, _ in found.fields
            } - reads.form:
                fields = [(n, FRESH if n in self.fresh else v) for n, v in found.fields]
                follow = Probe(method, path, "follow-up", query, fields, frozenset(found.files))
                follow.fresh = self.fresh
                self.send(follow)
                again = Reads(set(READS.query), {n for n, _ in found.fields} | READS.form)
                self._vary_names(follow, again, endpoint)
                break

    def _vary_names(self, base: Probe, reads: Reads, endpoint: str) -> None:
        pending = [("query", n) for n in sorted(reads.query)]
        pending += [("form", n) for n in sorted(reads.form)] if base.method != "GET" else []
        while pending:
            kind, name = pending.pop(0)
            if not self._first(endpoint, base.method, base.label, kind, name):
                continue
            for label, value in self._values(base, name):
                probe = Probe(**{**base.__dict__, "label": f"{base.label}: {kind} {name}={label}"})
                current = base.query if kind == "query" else base.form or []
                assert not isinstance(current, str)
                changed = [(n, v) for n, v in current if n != name]
                if label != "missing":
                    changed.append((name, value))
                setattr(probe, kind, changed)
                self.send(probe)
                pending += [("query", n) for n in sorted(READS.query - reads.query)]
                reads.query |= READS.query
                if base.method != "GET":
                    pending += [("form", n) for n in sorted(READS.form - reads.form)]
                    reads.form |= READS.form

    def _values(self, base: Probe, name: str) -> Iterator[tuple[str, Any]]:
        yield "missing", None
        if name in base.files:
            yield from FILE_JUNK.items()
            yield from ((label, body) for label, (body, _) in self.extra_bodies.items())
        else:
            yield from TEXT_JUNK.items()

    def _whole_request(self, base: Probe, reads: Reads, seed: Seed, endpoint: str) -> None:
        variants: list[Probe] = []
        if self._first(endpoint, base.method, "whole"):
            names = sorted(reads.query)
            variants.append(
                Probe(
                    base.method,
                    base.path,
                    "every query parameter twice",
                    [(n, v) for n in names for v in ("1", "abc")],
                    base.form,
                    base.files,
                    fresh=base.fresh,
                )
            )
            raw = "&".join(f"{n}=%FF%FE%00" for n in names) or "x=%FF"
            variants.append(Probe(base.method, base.path, "non-UTF-8 query", raw + "&\xff=\xff"))
            for label, headers in HEADER_JUNK.items():
                variants.append(Probe(**{**base.__dict__, "label": label, "headers": headers}))
            if base.method != "GET":
                fields = [(n, v) for n, v in base.form or [] if n not in base.files]
                variants.append(
                    Probe(
                        base.method,
                        base.path,
                        "every field twice",
                        list(base.query),
                        [(n, v) for n, v in fields for v in (v, "abc")],
                        fresh=base.fresh,
                    )
                )
                encoded = urlencode([(n, "" if v == FRESH else v) for n, v in fields]).encode()
                variants.append(
                    Probe(
                        base.method,
                        base.path,
                        "non-UTF-8 form",
                        list(base.query),
                        body=b"&".join(n.encode() + b"=%FF%FE\xff" for n, _ in fields) or b"\xff",
                        content_type="application/x-www-form-urlencoded",
                    )
                )
                for label, content_type in CONTENT_TYPE_JUNK.items():
                    as_json = json.dumps({n: "" if v == FRESH else v for n, v in fields})
                    body = as_json.encode() if "json" in content_type else encoded
                    variants.append(
                        Probe(
                            base.method,
                            base.path,
                            label,
                            list(base.query),
                            body=body,
                            content_type=content_type,
                        )
                    )
        if reads.body:
            bodies = {**BODY_JUNK, **self.extra_bodies}
            for label, (body, content_type) in bodies.items():
                variants.append(
                    Probe(
                        base.method,
                        base.path,
                        label,
                        list(base.query),
                        body=body,
                        content_type=content_type,
                        headers=self.body_headers(body),
                    )
                )
        if seed.json is not None:
            for label, document in json_mutations(seed.json):
                body = json.dumps(document).encode()
                variants.append(
                    Probe(
                        base.method,
                        base.path,
                        f"JSON {label}",
                        list(base.query),
                        body=body,
                        content_type="application/json",
                        headers=self.body_headers(body),
                    )
                )
        for probe in variants:
            self.send(probe)
