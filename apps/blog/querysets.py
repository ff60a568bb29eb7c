from django.db import models
from django.utils import timezone


class PostQuerySet(models.QuerySet):
    def published(self):
        """What the public may see: published, and not dated in the future."""
        return self.filter(status="published", published_at__lte=timezone.now())
