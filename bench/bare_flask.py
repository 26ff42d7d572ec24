"""The yardstick of bench/web.py: a bare Flask page rendering a 2 kB template, nothing else."""

from __future__ import annotations

from flask import Flask, render_template

app = Flask(__name__)


@app.get("/")
def page() -> str:
    return render_template("bare.html", title="A page", items=range(20))


@app.get("/healthz")
def healthz() -> str:
    return "ok"
