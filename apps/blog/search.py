"""Full-text search: the one text-search configuration, and what a reader may ask.

The stored search vector (Post.search_vector), its GIN index and every query
use SEARCH_CONFIG, so a query is stemmed exactly as the posts were.

A reader's text is parsed as websearch_to_tsquery parses it (words, "quoted
phrases", -excluded, OR) before it reaches the database, and refused when it
cannot be answered cheaply: with no word to look for (`-zzz` alone, or
`the -zzz` once the stop word is dropped, matches almost every post), with
every word it looks for also excluded (`harbour -harbour` matches nothing), or
with more terms than a reader types.
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

# PostgreSQL's english stop words (tsearch_data/english.stop): the "english"
# configuration drops them, so a term made of them alone looks for nothing.
# Kept here so refusing such text needs no query; tests/blog/test_search.py
# checks the list against the server's.
STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom
    this that these those am is are was were be been being have has had having do does did doing
    a an the and but if or because as until while of at by for with about against between into
    through during before after above below to from up down in out on off over under again
    further then once here there when where why how all any both each few more most other some
    such no nor not only own same so than too very s t can will just don should now
    """.split()  # noqa: SIM905 - 127 words read as prose, not one per line
)

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
    positive_words = set()
    negated_words = set()
    terms = 0
    for match in TERM_PATTERN.finditer(search_text):
        negated = match.group(1) or match.group(3)
        term = match.group(2) if match.group(2) is not None else match.group(4)
        if term.lower() == "or":
            continue
        words = [word.casefold() for word in WORD_PATTERN.findall(term)]
        terms += len(words)
        searched_words = {word for word in words if word not in STOP_WORDS}
        (negated_words if negated else positive_words).update(searched_words)
    if terms > SEARCH_MAX_TERMS:
        raise RefusedSearch(f"Search for at most {SEARCH_MAX_TERMS} words at a time.")
    if not positive_words:
        raise RefusedSearch(
            "Search for at least one word that is not too common to search for (such as “the” or “and”); "
            "words with a minus sign only exclude."
        )
    if positive_words <= negated_words:
        # `harbour -harbour`: excluded as soon as it matches, so nothing can; refused unrun.
        raise RefusedSearch("Search for at least one word you do not also exclude with a minus sign.")
    return SearchQuery(search_text, config=SEARCH_CONFIG, search_type="websearch")
