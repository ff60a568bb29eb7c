"""Full-text search: the one text-search configuration, and what a reader may ask.

The stored search vector (Post.search_vector), its GIN index and every query
use SEARCH_CONFIG, so a query is stemmed exactly as the posts were.

A reader's text is parsed as websearch_to_tsquery parses it (words, "quoted
phrases", -excluded, OR) before it reaches the database, and refused when it
cannot be answered cheaply: with no word to look for (`-zzz` alone matches
almost every post) or with more terms than a reader types.
"""

import re

from django.conf import settings
from django.contrib.postgres.search import SearchQuery

SEARCH_CONFIG = "english"
SEARCH_MAX_LENGTH = 200
SEARCH_MAX_TERMS = 8
# Result pages a query may show; a deeper page is a 404.
SEARCH_MAX_PAGES = 10
# Matches ranked per query: the newest as many as its pages show, so every
# result page of a query ranks the same candidates.
SEARCH_CANDIDATES = SEARCH_MAX_PAGES * settings.BLOG_POSTS_PER_PAGE
# Results render under this statement timeout; past it the reader is asked to narrow the search.
SEARCH_STATEMENT_TIMEOUT_MS = 1500
# Searches are the one page every spelling of which misses the cache: a reader
# types a few a minute, a flood of distinct queries from one client gets 429s.
SEARCH_RATE_LIMIT = 30
SEARCH_RATE_WINDOW_SECONDS = 60
# ts_headline marks matches with these sentinels, not tags: the snippet is
# escaped first and marked up after (the |highlight filter).
HIGHLIGHT_START = "\x02"
HIGHLIGHT_STOP = "\x03"

# A "quoted phrase" or a run of non-space characters, each maybe negated.
TERM_PATTERN = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
WORD_PATTERN = re.compile(r"\w+")


class RefusedSearch(ValueError):
    """Search text the site will not run, with the reason a reader is shown."""


def clean_search_text(raw_text):
    """The text as searched: NUL dropped (PostgreSQL refuses it), whitespace
    collapsed, cut to SEARCH_MAX_LENGTH."""
    return " ".join(raw_text.replace("\x00", "").split())[:SEARCH_MAX_LENGTH].strip()


def canonical_search_text(raw_text):
    """`?q=` spelled one way for the page's canonical URL; None (no parameter) when empty."""
    return clean_search_text(raw_text) or None


def search_query(search_text):
    """The SearchQuery for a reader's text, or RefusedSearch saying why not."""
    positive_terms = 0
    terms = 0
    for match in TERM_PATTERN.finditer(search_text):
        negated = match.group(1) or match.group(3)
        term = match.group(2) if match.group(2) is not None else match.group(4)
        if term.lower() == "or":
            continue
        words = len(WORD_PATTERN.findall(term))
        terms += words
        if words and not negated:
            positive_terms += 1
    if terms > SEARCH_MAX_TERMS:
        raise RefusedSearch(f"Search for at most {SEARCH_MAX_TERMS} words at a time.")
    if not positive_terms:
        raise RefusedSearch("Search for at least one word; words with a minus sign only exclude.")
    return SearchQuery(search_text, config=SEARCH_CONFIG, search_type="websearch")
