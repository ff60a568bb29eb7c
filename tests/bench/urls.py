from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/naive/", views.naive_list, name="bench_naive"),
    path("bench/optimized/", views.optimized_list, name="bench_optimized"),
    path("", include("project.urls")),
]
