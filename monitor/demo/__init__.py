"""Bundled sample mentions that `brand-monitor demo` feeds through the real pipeline."""
