"""`brand-monitor init`: a starter config and rules directory for a new installation."""
