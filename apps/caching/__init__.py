"""The caching pipeline, layer by layer (apps/caching/pipeline.py): whole
responses, rows and Russian-doll fragments in Redis, their keys and the list
version that invalidates them, and who may flush a page."""
