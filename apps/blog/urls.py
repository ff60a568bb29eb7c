import datetime

from django.urls import path, register_converter

from apps.caching.pipeline import public_page

from . import views
from .feeds import LatestPostsAtomFeed, LatestPostsFeed


class FourDigitYearConverter:
    regex = "[0-9]{4}"

    def to_python(self, value):
        year = int(value)
        # An archive year runs to the next 1 January, which the last year
        # datetime can hold (9999) does not have: out of range is no match, a 404.
        if not datetime.MINYEAR <= year < datetime.MAXYEAR:
            raise ValueError(f"No archive for year {year}.")
        return year

    def to_url(self, value):
        return f"{int(value):04d}"


class TwoDigitMonthConverter:
    regex = "0[1-9]|1[0-2]"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):02d}"


register_converter(FourDigitYearConverter, "yyyy")
register_converter(TwoDigitMonthConverter, "mm")

app_name = "blog"

urlpatterns = [
    path("", views.home, name="home"),
    path("posts/<slug:slug>/", views.post_detail, name="post"),
    path("posts/<int:pk>/read/", views.post_read, name="post_read"),
    path("preview/<int:pk>/", views.post_preview, name="preview"),
    path("category/<slug:slug>/", views.category_detail, name="category"),
    path("tag/<slug:slug>/", views.tag_detail, name="tag"),
    path("author/<slug:slug>/", views.author_detail, name="author"),
    path("archive/<yyyy:year>/", views.archive_year, name="archive_year"),
    path("archive/<yyyy:year>/<mm:month>/", views.archive_month, name="archive_month"),
    path("search/", views.search, name="search"),
    path("feeds/rss/", public_page(edge_list="feed")(LatestPostsFeed()), name="feed_rss"),
    path("feeds/atom/", public_page(edge_list="feed")(LatestPostsAtomFeed()), name="feed_atom"),
]
