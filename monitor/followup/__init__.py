"""Follow-through: after our public reply, the customer's answer is fetched and joins its case."""
