"""Rules files: boolean brand queries, exclusions, routing, priorities, templates, examples."""
