"""Alembic environment: the models' metadata and the configured database."""

from alembic import context

# Every package's tables, registered on the one metadata.
import onboarding.audit.models  # noqa: F401
import onboarding.dashboard.models  # noqa: F401
import onboarding.identity.models  # noqa: F401
import onboarding.journeys.models  # noqa: F401
import onboarding.outbox.models  # noqa: F401
import onboarding.people.models  # noqa: F401
import onboarding.people.sessions  # noqa: F401
import onboarding.provider.models  # noqa: F401
import onboarding.rate_limits  # noqa: F401
import onboarding.scim.models  # noqa: F401
import onboarding.webhooks.models  # noqa: F401
from onboarding.db import Base, make_engine
from onboarding.settings import get_settings

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
