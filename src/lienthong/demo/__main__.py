"""``python -m lienthong.demo [OPTIONS]``: the same as ``lienthong demo`` (what ``make demo`` runs)."""

import sys

from lienthong.cli.main import app

sys.exit(app(["demo", *sys.argv[1:]]))
