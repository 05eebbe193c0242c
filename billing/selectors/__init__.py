"""Reads of the billing app shared by the business-hall pages, the API and the admin, one module per
topic: which meters a user reaches (``meters``), consumption summed in SQL (``consumption``), the usage
page's figures (``usage``), bills, payments, the ledger and prepaid accounts, tariffs and tiers
(``bills``, ``payments``, ``ledger``, ``tariffs``) and the staff console's day of readings (``readings``).

Which rows a user reaches is decided here, from ``customers.access``; a miss is a 404 for the caller.
Selectors never read the clock: callers pass ``today`` / ``on``.
"""
