"""Pure functions on plain values: no Flask, no SQLAlchemy, no I/O."""
