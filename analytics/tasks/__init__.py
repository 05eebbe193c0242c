from analytics.tasks.segments import *  # noqa: F403
