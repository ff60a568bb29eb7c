from django.conf import settings
from django.http import Http404, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .health import readiness_problems, service_report


@never_cache
def healthz(request):
    """For the load balancer: 200 while this server can serve pages, 503 naming what stops it.

    Any method: probes send GET, HEAD or (HAProxy's default) OPTIONS."""
    failing = readiness_problems()
    if failing:
        return JsonResponse({"status": "down", "failing": failing}, status=503)
    return JsonResponse({"status": "ok"})


def _may_read_health_detail(request):
    if request.user.is_authenticated and request.user.is_staff:
        return True
    token = settings.HEALTHZ_DETAIL_TOKEN
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ")
    return bool(token) and constant_time_compare(offered, token)


@never_cache
@require_safe
def healthz_detail(request):
    """For operators (staff, or `Authorization: Bearer <HEALTHZ_DETAIL_TOKEN>`): every
    service, 503 when any is down. Others get the public's 404."""
    if not _may_read_health_detail(request):
        raise Http404("No such page.")
    report = service_report()
    return JsonResponse(report, status=503 if report["failing"] else 200)
