"""Business-hall pages of the billing app for the switcher's current account, one module per area:
usage (用电分析), bills (电费账单) with their PDF, paying online with its return page and the payment
history, the quote calculator, and the payment gateway's endpoints.

Thin: pick the account through customers.access, read everything through billing.selectors (SQL
aggregation; usage charts get their data as a ``json_script`` payload with an accessible table beside),
and make each write one service call. Pages may read the clock (services never do): ``hall.hall_today``.
"""
