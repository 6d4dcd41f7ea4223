"""Suggested replies: sandboxed templates per brand/label/topic, grounded in a knowledge base."""
