from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/naive/", views.naive_list, name="bench_naive"),
    path("bench/optimized/", views.optimized_list, name="bench_optimized"),
    path("bench/hello/", views.hello, name="bench_hello"),
    path("", include("project.urls")),
]
