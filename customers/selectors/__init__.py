"""Reads shared by the API, business-hall pages and admin, one module per topic.

Every queryset starts from ``customers.access`` (or, for models it does not cover yet, from the same
rule: portal customers reach nothing here, staff and integrators what their model permissions allow).
"""
