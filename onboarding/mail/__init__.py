"""Mail composition: templates in the reader's language, rendered into a ready-to-send message.

Mails are outbox rows (template, to, language, context) rendered at delivery by `compose_bytes`.
"""

from onboarding.mail.compose import compose_bytes, message_id, render

__all__ = ["compose_bytes", "message_id", "render"]
