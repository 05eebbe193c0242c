"""Forms of the billing app, one module per area: meter data in the staff console (``meter_data``),
starting a billing run (``billing_runs``), and the business hall's usage pickers (``usage``), pay
buttons (``pay``) and quote calculator (``quote``)."""
