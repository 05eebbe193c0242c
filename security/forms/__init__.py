"""Every form of the security app (the staff console's user and access forms)."""
