"""Bulk invitation from a CSV file: upload, dry-run report, then the real run."""

from __future__ import annotations

from flask import flash, render_template, request

from onboarding.dashboard.bulk_invite import COLUMNS, MAX_FILE_BYTES, bulk_invite, csv_text
from onboarding.errors import ValidationError
from onboarding.people.access import organizations_in
from web.dashboard import bp
from web.dashboard.scope import admin_scope, posted_organization
from web.db import db_session
from web.i18n import ngettext
from web.words import refusal


@bp.get("/invite")
def bulk_form() -> str:
    _, allowed = admin_scope()
    return render_template(
        "dashboard/bulk.html",
        organizations=organizations_in(db_session(), allowed),
        columns=COLUMNS,
        report=None,
    )


@bp.post("/invite")
def bulk_run() -> tuple[str, int] | str:
    """Dry run (the default) or real run of the posted CSV for one organization."""
    _, allowed = admin_scope()
    admin, organization = posted_organization()
    session = db_session()
    dry_run = request.form.get("run") != "invite"
    page = {"organizations": organizations_in(session, allowed), "columns": COLUMNS, "csv_text": ""}
    try:
        text = page["csv_text"] = _csv_text()
        report = bulk_invite(
            session, organization, text, dry_run=dry_run, actor=admin.email, invited_by=admin
        )
    except ValidationError as error:
        flash(refusal(error), "error")
        return render_template("dashboard/bulk.html", report=None, **page), 422
    if dry_run:
        return render_template(
            "dashboard/bulk.html", report=report, organization=organization, **page
        )
    flash(
        ngettext(
            "%(num)d person invited to %(organization)s; %(refused)d rows refused.",
            "%(num)d people invited to %(organization)s; %(refused)d rows refused.",
            len(report.accepted),
            organization=organization.name,
            refused=len(report.refused),
        ),
        "success",
    )
    return render_template("dashboard/bulk.html", report=report, organization=organization, **page)


def _csv_text() -> str:
    """The CSV from the uploaded file, or from the form (the real run after a dry run)."""
    upload = request.files.get("file")
    raw = upload.read(MAX_FILE_BYTES + 1) if upload and upload.filename else None
    if raw is None:
        raw = request.form.get("csv_text", "").encode()
    return csv_text(raw, "file")
