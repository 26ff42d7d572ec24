"""What the SCIM service says of itself (RFC 7643 §5–7): its configuration, the schemas of the
attributes it keeps, and its resource types."""

from __future__ import annotations

from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ETag,
    Filter,
    Group,
    Meta,
    Patch,
    Required,
    Resource,
    ResourceType,
    Schema,
    ServiceProviderConfig,
    Sort,
    User,
)

MAX_RESULTS = 200

# The attributes the service keeps, with the sub-attributes it keeps; the others it ignores.
KEPT: dict[type[Resource[Any]], dict[str, set[str] | None]] = {
    User: {
        "userName": None,
        "name": {"givenName", "familyName"},
        "active": None,
        "emails": {"value", "type", "primary"},
        "groups": {"value", "$ref", "display"},
    },
    Group: {"displayName": None, "members": {"value", "$ref", "type"}},
}
# What a person needs here beyond RFC 7643: an address and a name to invite them by, and whether
# their invitation stands (never absent: it is the journey's state).
REQUIRED = {"name", "name.givenName", "emails", "emails.value", "active"}


def service_provider_config(base_url: str) -> ServiceProviderConfig:
    """Filtering and PATCH, no bulk, sorting, ETags or password changes; bearer tokens."""
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="A SCIM token of the organization, made in the dashboard.",
                primary=True,
            )
        ],
        meta=Meta(
            resource_type="ServiceProviderConfig", location=f"{base_url}/ServiceProviderConfig"
        ),
    )


def schemas(base_url: str) -> list[Schema]:
    """The User and Group schemas, reduced to the attributes the service keeps."""
    found = []
    for model, kept in KEPT.items():
        schema = model.to_schema()
        schema.attributes = [a for a in schema.attributes or [] if a.name in kept]
        for attribute in schema.attributes:
            name = str(attribute.name)
            if name in REQUIRED:
                attribute.required = Required.true
            subs = kept[name]
            if subs is not None:
                attribute.sub_attributes = [
                    s for s in attribute.sub_attributes or [] if s.name in subs
                ]
                for sub in attribute.sub_attributes:
                    if f"{name}.{sub.name}" in REQUIRED:
                        sub.required = Required.true
        schema.meta = Meta(resource_type="Schema", location=f"{base_url}/Schemas/{schema.id}")
        found.append(schema)
    return found


def resource_types(base_url: str) -> list[ResourceType]:
    """Users and Groups."""
    return [
        ResourceType.model_validate(
            {
                "id": name,
                "name": name,
                "endpoint": f"/{name}s",
                "description": description,
                "schema": str(model.__schema__),
                "meta": {
                    "resourceType": "ResourceType",
                    "location": f"{base_url}/ResourceTypes/{name}",
                },
            }
        )
        for name, model, description in (
            ("User", User, "The people of the organization, each with an invitation."),
            ("Group", Group, "The roles of the organization."),
        )
    ]
