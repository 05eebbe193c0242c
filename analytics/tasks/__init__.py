from analytics.tasks.lineloss import *  # noqa: F403
