"""Which language a mention is in, and what the classifier does with languages it cannot read."""
