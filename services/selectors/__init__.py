"""Reads shared by the business-hall pages, the API and the admin, one module per topic: catalogue,
requests, notices, inbox, knowledge, reports. Access-checked where a user is given; they never write
and never read the clock (callers pass ``as_of``)."""
