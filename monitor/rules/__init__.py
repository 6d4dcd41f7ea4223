"""Rules files: boolean brand queries, exclusions, routing, priorities, reply templates, examples."""
