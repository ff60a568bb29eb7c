"""The Fetch Metadata headers a browser sends when a person opens a page: the
editorial flush acts only on those (apps/caching/pipeline.py, is_top_level_navigation)."""

TOP_LEVEL_NAVIGATION = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-User": "?1"}
AN_IMAGE_TAG = {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}
A_FETCH_CALL = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}
