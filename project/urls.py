from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from apps.blog.sitemaps import SITEMAPS, sitemap_index
from apps.blog.views import robots_txt
from apps.caching.pipeline import public_page
from apps.core.pagination import canonical_page_number
from apps.ops.views import healthz, healthz_detail
from apps.security.login_throttle import ThrottledAdminAuthenticationForm

# Says "too many failed logins" when the throttle refused an attempt.
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("healthz/detail", healthz_detail, name="healthz_detail"),
    path("admin/", admin.site.urls),
    path("robots.txt", robots_txt, name="robots_txt"),
    path(
        "sitemap.xml",
        public_page(edge_list="sitemap")(sitemap_index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        # Sitemap pages are numbered by ?p=, the only parameter that changes them.
        public_page({"p": canonical_page_number}, edge_list="sitemap")(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
    path("", include("apps.blog.urls")),
]

if "debug_toolbar" in settings.INSTALLED_APPS:
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()
