from analytics.tasks.forecasting import *  # noqa: F403
from analytics.tasks.lineloss import *  # noqa: F403
from analytics.tasks.segments import *  # noqa: F403
