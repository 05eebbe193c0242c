"""Every form of the customers app: ``hall`` for the business-hall pages, ``staff`` for the admin console."""
