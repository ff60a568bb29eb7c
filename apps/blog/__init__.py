"""The publication: posts, authors, categories and tags, the readers' pages
(lists, posts, feeds, sitemaps, search), the editors' admin and every write
that changes what readers see (apps/blog/querysets.py)."""
