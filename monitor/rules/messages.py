"""Every user-facing message of the rules part, written for the admin who edits rules files."""

from __future__ import annotations

# --- query syntax --------------------------------------------------------------------------
DID_YOU_MEAN = "; did you mean '{hint}'?"
EMPTY_QUERY = "the query is empty"
EMPTY_PHRASE = 'empty phrase ""'
ENDS_EARLY = "the query ends too early: a term is missing after the last operator"
UNEXPECTED = "unexpected {what}"
END_OF_QUERY = "end of query"
UNCLOSED_QUOTE = 'unbalanced quote: this " is never closed'
UNCLOSED_PAREN = "unbalanced parentheses: this '(' is never closed"
UNMATCHED_CLOSE = "unbalanced parentheses: ')' without a matching '('"
TOO_LONG = "the query is {n} characters long; the limit is {limit}"
TOO_DEEP = "parentheses nested more than {limit} levels deep"
TOO_COMPLEX = "the query is too complex"
WILDCARD_INSIDE = "'{term}': the wildcard * is only allowed at the end of a word"
WILDCARD_SHORT = "'{term}': a wildcard needs at least {n} characters before the *"
OPERATOR_CASE = "'{word}' looks like an operator; operators are upper case: write {op}"
UNKNOWN_FIELD = "unknown field '{field}:'; did you mean '{hint}:'?"
UNKNOWN_SOURCE = "unknown source '{source}'{hint}"
FIELD_EMPTY = "'{field}:' needs a value"
FIELD_NUMBER = "'{field}:{value}' needs a number with an optional comparison, e.g. {field}:>=10"
NEAR_OPERAND = (
    "NEAR works on terms, phrases and OR-groups of them, not on AND, NOT or field filters"
)

# --- rules files ----------------------------------------------------------------------------
YAML_SYNTAX = "YAML syntax error: {problem}"
CANNOT_READ = "cannot read the file ({reason})"
NO_FILES = "no rules files (*.yaml, *.yml) found in {path}"
NOT_FOUND = "no such file or directory"
TOP_LEVEL = "the top level must be a mapping with a 'brands' list"
EMPTY_FILE = "the file is empty; a rules file needs a 'brands' list with at least one brand"
NO_BRANDS = "the 'brands' list is empty; a rules file needs at least one brand"
UNKNOWN_KEY = "unknown key '{key}'"
DUPLICATE_KEY = "duplicate key '{key}'"
MISSING_KEY = "missing required key '{key}'"
EXPECTED = "expected {what}"
BAD_ID = "brand id '{id}' must be lower case letters, digits, '-' or '_'"
DUPLICATE_BRAND = "duplicate brand id '{id}' (first defined at {where})"
BAD_LEVEL = "unknown priority '{value}'; use one of {choices}"
BAD_LABEL = "unknown label '{value}'; use one of {choices}"
BAD_SOURCE = "unknown source '{value}'; use one of {choices}"
BAD_CHANNEL = "channel '{value}' must be a #channel name or a Slack channel id"
NO_QUERY = "a brand needs a 'query' (or 'names'/'handles'/'domains' to build one from)"
HASH_COMMENT = " (a ' #' starts a YAML comment: put the query in quotes or after '|')"
RULE_NEEDS = "a rule needs '{a}' or '{b}'"

# --- matching explanations ---------------------------------------------------------------
NO_RULE = "no rule"
EXCLUDED = "excluded: {why}"
WHY_RETWEET = "retweet"
WHY_QUOTE = "quote"
WHY_OWN = "own account"
WHY_AUTHOR = "author"
WHY_TERM = "term"
WHY_QUERY = "exclusion query"
PRIORITY_REASON = "{level}: {reason}"
REASON_TERMS = "mentions {terms}"
REASON_QUERY = "matches {name}"

# --- command line ----------------------------------------------------------------------------
CHECK_OK = "{files} file(s), {brands} brand(s): OK"
CHECK_FAILED = "{n} error(s)"
TEST_PASS = "PASS"
TEST_FAIL = "FAIL"
TEST_SUMMARY = "{passed} passed, {failed} failed"
TEST_NONE = "no examples found"
MATCH_NONE = "no match: {reason}"
MATCH_EXCLUDED_BY = "  {brand}: excluded by {detail}"
BAD_SINCE = "--since must look like 7d, 12h, 30m or 2w (got '{value}')"
BACKTEST_PROGRESS = "replaying stored mentions"
