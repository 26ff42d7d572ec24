"""The onboarding dashboard's domain: funnel, journey table, diagnosis, timeline, bulk invite,
API tokens and metrics. Read models over the journeys, their history and the outbox."""
