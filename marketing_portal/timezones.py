"""The one local time zone: every business date (billing periods, working days, meter-days) is a
date in Asia/Shanghai (settings.TIME_ZONE). Mainland China has kept UTC+8 without daylight saving
since 1991, so a fixed offset is exact for our data and cheaper than ZoneInfo in hot loops."""

import datetime as dt

SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
SHANGHAI_NAME = "Asia/Shanghai"  # for pandas' tz_localize / tz_convert
