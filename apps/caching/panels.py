import threading

from debug_toolbar.panels import Panel

from .pipeline import cache_entry_used


class FragmentCachePanel(Panel):
    """Debug toolbar panel: each cached entry of the request (fragments, rows) and
    whether it was a hit, a stale copy, a miss or rendered uncached."""

    title = "Fragments"
    template = "caching/fragment_panel.html"

    def enable_instrumentation(self):
        self.fragments = []
        self.thread_id = threading.get_ident()
        cache_entry_used.connect(self.record_fragment)

    def disable_instrumentation(self):
        cache_entry_used.disconnect(self.record_fragment)

    def record_fragment(self, sender, fragment_name, cache_key, outcome, **kwargs):
        if threading.get_ident() == self.thread_id:
            self.fragments.append({"name": fragment_name, "key": cache_key, "outcome": outcome})

    @property
    def nav_subtitle(self):
        stats = self.get_stats()
        if not stats:
            return ""
        return f"{stats['hits']} hits, {len(stats['fragments']) - stats['hits']} rendered"

    def generate_stats(self, request, response):
        fragments = getattr(self, "fragments", [])
        hits = sum(1 for fragment in fragments if fragment["outcome"] in ("hit", "stale"))
        self.record_stats({"fragments": fragments, "hits": hits})
