from analytics.tasks.forecasting import *  # noqa: F403
