"""The use cases: the catalog and its editing, the cart, checkout and orders, stock, accounts,
housekeeping, backups and the demo catalog. Each asks `core` for the rules and `store` for the
tables and the engine; none knows the web."""
