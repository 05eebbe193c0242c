"""Staff console for customer records, one module per topic. Querysets come from customers.access;
writes go through customers.services.records so every change is validated and audited."""

from customers.admin import accounts, crm, customers, grid, portal

__all__ = ["accounts", "crm", "customers", "grid", "portal"]
