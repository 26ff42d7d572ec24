"""An organization's outgoing webhooks: the endpoints its admins register, the events each
one receives, and the log of their deliveries. Messages go out through the outbox, signed per
the Standard Webhooks specification (onboarding.outbox.webhooks)."""
