"""Uploads and thumbnails: validation before anything is stored, the S3
storage, the predefined sizes made by Celery after commit, the on-the-fly
fallback tag, the image library and the sweeps that clean up."""
