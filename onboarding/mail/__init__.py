"""Mail composition: templates in the reader's language, rendered into a ready-to-send message.

Mails are outbox rows (template, to, language, context) rendered at delivery by `compose`.
"""

from onboarding.mail.compose import compose, compose_bytes, message_id, render

__all__ = ["compose", "compose_bytes", "message_id", "render"]
