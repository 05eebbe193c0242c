"""Every Form of the services app's pages, one module per area (none is defined in a view or an admin module)."""
