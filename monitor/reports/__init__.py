"""Metrics from audit events, the report command, weekly digest and spike alerts."""
