"""The SCIM 2.0 service under /scim/v2: an organization's directory provisions its people.

Authentication is `Authorization: Bearer <token>` with the organization's SCIM token (made in the
dashboard); every answer is `application/scim+json`, errors in SCIM's format with `scimType`.
The domain is onboarding.scim; this module only translates requests and answers.
"""

from __future__ import annotations

from typing import Any

import pydantic
from flask import Blueprint, Response, g, json, request
from scim2_models import (
    Context,
    Error,
    Group,
    InvalidFilterException,
    InvalidValueException,
    ListResponse,
    NotFoundException,
    NotImplementedException,
    PatchOp,
    Resource,
    ResourceType,
    ResponseParameters,
    Schema,
    SCIMException,
    ScimFilter,
    SearchRequest,
    UniquenessException,
)

from onboarding.clock import utcnow
from onboarding.dashboard import api_tokens
from onboarding.dashboard.api_tokens import Purpose
from onboarding.errors import Conflict, DomainError, NotFound
from onboarding.scim import discovery, groups, users
from onboarding.typed_text import has_control_character
from web.db import db_session
from web.extensions import csrf

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
csrf.exempt(bp)  # no cookies here: a bearer token cannot be sent by another site's form
MEDIA_TYPE = "application/scim+json"
DEFAULT_COUNT = 100


def _answer(body: dict[str, Any], status: int = 200, **headers: str) -> Response:
    return Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE, headers=headers)


def error_answer(status: int, detail: str, scim_type: str | None = None) -> Response:
    """A SCIM error (RFC 7644 §3.12); web.errors answers so under /scim/v2 too."""
    error = Error(status=status, detail=detail, scim_type=scim_type)
    return _answer(error.model_dump(scim_ctx=Context.DEFAULT), status)


@bp.errorhandler(SCIMException)
def scim_error(error: SCIMException) -> Response:
    return _answer(error.to_error().model_dump(scim_ctx=Context.DEFAULT), error.status)


@bp.errorhandler(pydantic.ValidationError)
def invalid(error: pydantic.ValidationError) -> Response:
    details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
    return error_answer(400, details or "The request is not valid SCIM.", "invalidValue")


@bp.errorhandler(DomainError)
def refused(error: DomainError) -> Response:
    if isinstance(error, NotFound):
        return error_answer(404, str(error))
    if isinstance(error, Conflict):
        return error_answer(409, str(error), "uniqueness")
    return error_answer(400, str(error), "invalidValue")


@bp.before_request
def authenticate() -> Response | None:
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    token = (
        api_tokens.authenticate(db_session(), raw.strip(), purpose=Purpose.scim)
        if scheme.lower() == "bearer"
        else None
    )
    if token is None:
        response = error_answer(
            401, "A valid SCIM token is required (Authorization: Bearer <token>)."
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="scim"'
        return response
    # As in the API: a refused call still counts as a use of the token.
    db_session().commit()
    g.scim_token = token
    return None


def _base_url() -> str:
    return request.url_root.rstrip("/") + bp.url_prefix


def _body(model: Any, context: Context) -> Any:
    payload = request.get_json(force=True, silent=True)
    if not isinstance(payload, dict):
        raise InvalidValueException(detail="The body must be a JSON object.")
    if _holds_control_character(payload):
        # No name, address or id holds one, and PostgreSQL cannot even store a NUL.
        raise InvalidValueException(detail="A value of the body holds a control character.")
    return model.model_validate(payload, scim_ctx=context)


def _holds_control_character(value: Any) -> bool:
    """Whether a string anywhere in the JSON `value`, a key or a value, holds one."""
    if isinstance(value, str):
        return has_control_character(value)
    if isinstance(value, dict):
        return any(
            _holds_control_character(k) or _holds_control_character(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_holds_control_character(item) for item in value)
    return False


def _parameters() -> ResponseParameters[Any]:
    """The attributes and excludedAttributes the client asked for."""
    return ResponseParameters.model_validate(dict(request.args))


def _dump(resource: Resource[Any], context: Context) -> dict[str, Any]:
    return resource.model_dump(scim_ctx=context, response_parameters=_parameters())


def _search() -> SearchRequest[Any]:
    """The query of a listing: from the URL (GET) or the body (POST .search)."""
    try:
        if request.method == "POST":
            return _body(SearchRequest, Context.SEARCH_REQUEST)
        return SearchRequest.model_validate(dict(request.args), scim_ctx=Context.SEARCH_REQUEST)
    except pydantic.ValidationError as error:
        if any(e["loc"][:1] == ("filter",) for e in error.errors()):
            raise InvalidFilterException(detail=str(error.errors()[0]["msg"])) from None
        raise


def _filter(kind: type[Resource[Any]]) -> ScimFilter[Any] | None:
    query = _search()
    return ScimFilter[kind](str(query.filter)) if query.filter is not None else None  # type: ignore[valid-type]


def _listing(kind: type[Resource[Any]], found: list[Any]) -> Response:
    """One page of `found` per filter, startIndex and count (RFC 7644 §3.4.2)."""
    query, matcher = _search(), _filter(kind)
    if matcher is not None:
        found = [resource for resource in found if matcher.match(resource)]
    start = query.start_index or 1
    count = min(DEFAULT_COUNT if query.count is None else query.count, discovery.MAX_RESULTS)
    page = found[start - 1 : start - 1 + count]
    listing = ListResponse[kind](  # type: ignore[valid-type]
        total_results=len(found), start_index=start, items_per_page=len(page), resources=page
    )
    return _answer(listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=query))


@bp.get("/ServiceProviderConfig")
def service_provider_config() -> Response:
    config = discovery.service_provider_config(_base_url())
    return _answer(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


@bp.get("/Schemas")
def schemas() -> Response:
    return _listing(Schema, discovery.schemas(_base_url()))


@bp.get("/Schemas/<path:schema_id>")
def schema(schema_id: str) -> Response:
    found = [s for s in discovery.schemas(_base_url()) if s.id == schema_id]
    if not found:
        raise NotFoundException(detail=f"No schema {schema_id}.")
    return _answer(_dump(found[0], Context.RESOURCE_QUERY_RESPONSE))


@bp.get("/ResourceTypes")
def resource_types() -> Response:
    return _listing(ResourceType, discovery.resource_types(_base_url()))


@bp.get("/ResourceTypes/<name>")
def resource_type(name: str) -> Response:
    found = [t for t in discovery.resource_types(_base_url()) if t.id == name]
    if not found:
        raise NotFoundException(detail=f"No resource type {name}.")
    return _answer(_dump(found[0], Context.RESOURCE_QUERY_RESPONSE))


@bp.post("/.search")
def search_everything() -> Response:
    raise NotImplementedException(detail="Search /Users/.search or /Groups/.search instead.")


# Users


@bp.get("/Users")
@bp.post("/Users/.search")
def list_users() -> Response:
    session, base = db_session(), _base_url()
    found = users.listed(session, g.scim_token.organization_id, _filter(users.DirectoryUser))
    return _listing(
        users.DirectoryUser, [users.resource(journey, link, base) for journey, link in found]
    )


@bp.post("/Users")
def create_user() -> Response:
    session = db_session()
    user = _body(users.DirectoryUser, Context.RESOURCE_CREATION_REQUEST)
    try:
        journey, link = users.create(session, g.scim_token, user, utcnow())
    except Conflict as conflict:
        raise UniquenessException(detail=str(conflict)) from None
    created = users.resource(journey, link, _base_url())
    assert created.meta is not None
    return _answer(
        _dump(created, Context.RESOURCE_CREATION_RESPONSE), 201, Location=str(created.meta.location)
    )


@bp.get("/Users/<user_id>")
def get_user(user_id: str) -> Response:
    session = db_session()
    journey, link = users.find(session, g.scim_token.organization_id, user_id)
    return _answer(
        _dump(users.resource(journey, link, _base_url()), Context.RESOURCE_QUERY_RESPONSE)
    )


@bp.put("/Users/<user_id>")
def replace_user(user_id: str) -> Response:
    session = db_session()
    journey, link = users.find(session, g.scim_token.organization_id, user_id)
    user = _body(users.DirectoryUser, Context.RESOURCE_REPLACEMENT_REQUEST)
    link = users.replace(session, g.scim_token, journey, link, user, utcnow())
    return _answer(
        _dump(users.resource(journey, link, _base_url()), Context.RESOURCE_REPLACEMENT_RESPONSE)
    )


@bp.patch("/Users/<user_id>")
def patch_user(user_id: str) -> Response:
    session, base = db_session(), _base_url()
    journey, link = users.find(session, g.scim_token.organization_id, user_id)
    patch = _body(PatchOp[users.DirectoryUser], Context.RESOURCE_PATCH_REQUEST)
    user = users.resource(journey, link, base)
    patch.patch(user)
    link = users.replace(session, g.scim_token, journey, link, user, utcnow())
    return _answer(_dump(users.resource(journey, link, base), Context.RESOURCE_PATCH_RESPONSE))


@bp.delete("/Users/<user_id>")
def delete_user(user_id: str) -> Response:
    session = db_session()
    journey, link = users.find(session, g.scim_token.organization_id, user_id)
    users.remove(session, g.scim_token, journey, link, utcnow())
    return Response(status=204)


# Groups


@bp.get("/Groups")
@bp.post("/Groups/.search")
def list_groups() -> Response:
    session, base = db_session(), _base_url()
    found = groups.listed(session, g.scim_token.organization_id)
    return _listing(Group, [groups.resource(session, role, base) for role in found])


@bp.post("/Groups")
def create_group() -> Response:
    session = db_session()
    group = _body(Group, Context.RESOURCE_CREATION_REQUEST)
    try:
        role = groups.create(session, g.scim_token, group, utcnow())
    except Conflict as conflict:
        raise UniquenessException(detail=str(conflict)) from None
    created = groups.resource(session, role, _base_url())
    assert created.meta is not None
    return _answer(
        _dump(created, Context.RESOURCE_CREATION_RESPONSE), 201, Location=str(created.meta.location)
    )


@bp.get("/Groups/<group_id>")
def get_group(group_id: str) -> Response:
    session = db_session()
    role = groups.find(session, g.scim_token.organization_id, group_id)
    return _answer(
        _dump(groups.resource(session, role, _base_url()), Context.RESOURCE_QUERY_RESPONSE)
    )


@bp.put("/Groups/<group_id>")
def replace_group(group_id: str) -> Response:
    session, base = db_session(), _base_url()
    role = groups.find(session, g.scim_token.organization_id, group_id)
    group = _body(Group, Context.RESOURCE_REPLACEMENT_REQUEST)
    groups.replace(session, g.scim_token, role, group, utcnow())
    return _answer(
        _dump(groups.resource(session, role, base), Context.RESOURCE_REPLACEMENT_RESPONSE)
    )


@bp.patch("/Groups/<group_id>")
def patch_group(group_id: str) -> Response:
    session, base = db_session(), _base_url()
    role = groups.find(session, g.scim_token.organization_id, group_id)
    patch = _body(PatchOp[Group], Context.RESOURCE_PATCH_REQUEST)
    group = groups.resource(session, role, base)
    patch.patch(group)
    groups.replace(session, g.scim_token, role, group, utcnow())
    return _answer(_dump(groups.resource(session, role, base), Context.RESOURCE_PATCH_RESPONSE))


@bp.delete("/Groups/<group_id>")
def delete_group(group_id: str) -> Response:
    session = db_session()
    role = groups.find(session, g.scim_token.organization_id, group_id)
    groups.remove(session, g.scim_token, role, utcnow())
    return Response(status=204)
