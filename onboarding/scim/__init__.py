"""SCIM 2.0 (RFC 7643, RFC 7644): an organization's directory provisions its people.

A SCIM User is a journey of the organization (its id is the journey's), a Group is one of its
roles. Changes go through the journeys' use cases and the directory, recorded in the journey's
history with the directory's token as actor. Resources are `scim2-models` objects.
"""
