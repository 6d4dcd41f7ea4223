"""The reasons people read when the classifier did not read a mention's language."""

from __future__ import annotations

# Classification reasons for a mention in a language the classifier does not read;
# {language} is its English name ("Japanese"), {stars} the review's rating.
FROM_RATING = "{language}: not read by the model; label from the {stars}★ rating"
NOT_READ = {
    "question": "{language}: not read by the model; posted as a question for a person to read",
    "other": "{language}: not read by the model; stored, not posted",
    "keep": "{language}: not read by the model; its label is a guess",
}
