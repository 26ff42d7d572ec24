"""/dev/mail: the development inbox in the browser (never in production)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, render_template

from onboarding.mail import dev_inbox
from web.extensions import app_settings

bp = Blueprint("dev_mail", __name__, url_prefix="/dev/mail")

# The mail's own HTML, shown in a sandboxed frame: its inline styles, no scripts, and links
# that open in the whole window.
MAIL_FRAME_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data: http: https:; "
        "frame-ancestors 'self'"
    ),
    "X-Frame-Options": "SAMEORIGIN",
}


def init_dev_mail(app: Flask, enabled: bool) -> None:
    if enabled:
        app.register_blueprint(bp)


@bp.get("")
def inbox() -> str:
    return render_template("dev_mail/inbox.html", mails=dev_inbox.newest(app_settings()))


@bp.get("/<mail_id>")
def show(mail_id: str) -> str:
    mail = dev_inbox.find(mail_id, app_settings()) or abort(404)
    return render_template("dev_mail/show.html", mail=mail, text=mail.part("plain"))


@bp.get("/<mail_id>/html")
def html(mail_id: str) -> Response:
    mail = dev_inbox.find(mail_id, app_settings()) or abort(404)
    body = mail.part("html") or abort(404)
    body = body.replace("<head>", '<head><base target="_top">', 1)
    return Response(body, mimetype="text/html", headers=MAIL_FRAME_HEADERS)
