"""Business-hall pages (网上营业厅), one module per area. Thin: parse a form, make one service call,
render or redirect.

Accounts are only ever fetched through customers.access, so a page can never show another
customer's account, and a number that is not the user's own answers 404.
"""
