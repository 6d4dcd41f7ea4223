"""The mention classifier: complaint, question, praise or other, with confidence and reasons."""
