"""Business operations: ``(session, plain args) -> result``. They flush, never commit."""
