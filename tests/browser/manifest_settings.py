"""Production static files for a test: the app's settings, with STATIC_ROOT from the environment
(so collectstatic and the server use a temporary folder, not the real ./staticfiles)."""

import os
from pathlib import Path

from seminar.settings import *  # noqa: F403

STATIC_ROOT = Path(os.environ["STATIC_ROOT"])
