"""The Celery app of capactif-hub: `celery -A worker worker` (or `capactif worker`).

Configuration comes from hub.config (HUB_* environment variables); the tasks are
in hub.tasks.
"""

from hub.bootstrap import create_celery
from hub.config import Settings

app = create_celery(Settings.from_env(), include_tasks=True)
