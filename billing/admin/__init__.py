"""Staff console of the billing app, one module per topic: meters and their readings (with audited
edits), ingest batches (uploads, rejected rows, retries), tariffs, billing runs and bills (release,
void and rebill, PDF), the ledger and payments, and prepaid accounts. Writes go through billing services,
one call per action or page."""

from billing.admin import (
    billing_runs,  # noqa: F401
    ingest,  # noqa: F401
    ledger,  # noqa: F401
    meters,  # noqa: F401
    prepaid,  # noqa: F401
    tariffs,  # noqa: F401
)
