"""`python -m monitor` runs the same command line as `brand-monitor`."""

from monitor.cli import main

main()
