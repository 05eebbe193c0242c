"""Demand response (需求响应) workflow: programs and their terms, eligibility and enrolment, events and
participation, settlement into the ledger. Each write is one keyword-only function taking ``now``;
the maths is in analytics.demand_response; docs/demand-response.md states the rules."""
