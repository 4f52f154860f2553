"""`capactif worker --no-beat` as on a host whose clock is SKEW seconds ahead of the
others' (the hub's clock only: `python -m tests.integration.skewed_worker SKEW`)."""

from __future__ import annotations

import datetime as dt
import sys

import hub.bootstrap as bootstrap


def main() -> int:
    skew = dt.timedelta(seconds=float(sys.argv[1]))
    real = bootstrap.utc_now
    defaults = bootstrap.Hub.from_settings.__func__.__kwdefaults__  # type: ignore[attr-defined]
    defaults["clock"] = lambda: real() + skew
    from hub.cli import main as cli

    sys.argv = ["capactif", "worker", "--no-beat"]
    return cli()


if __name__ == "__main__":
    sys.exit(main())
