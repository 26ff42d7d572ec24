"""A second Connect, run as its own process on a free loopback port, to stand in for an
upstream provider ("Google"). Configured by the environment; prints its base URL."""

from __future__ import annotations

import sys

from werkzeug.serving import make_server

from onboarding.settings import Settings
from tests.helpers import Deferred
from web import create_connect_app


def main() -> None:
    app = Deferred()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://localhost:{server.server_port}"
    app.app = create_connect_app(settings=Settings.from_env().with_overrides(connect_issuer=url))
    print(url, flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
