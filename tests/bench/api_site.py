"""bench_api's server (not named bench_*, so `make bench` does not run it as a benchmark): the project's settings and URLs, plus a bare DRF view as a yardstick.

Only tests/bench/bench_api.py starts a server with these (DJANGO_SETTINGS_MODULE).
"""

from attachment.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.api_site_urls"
