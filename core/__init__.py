"""The kernel at the bottom of the project: local time and the clock, money and energy rounding, the
mainland working-day calendar, month arithmetic, idempotency, and the web helpers every app's pages,
API and admin share. It imports no app of ours (an import-linter contract in pyproject.toml says so)."""
