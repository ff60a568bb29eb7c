from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .health import service_report


@never_cache
def healthz(request):
    """200 when every service answers, 503 naming the ones that do not."""
    services = service_report()
    failing = sorted(name for name, state in services.items() if state != "ok")
    return JsonResponse(
        {"status": "ok" if not failing else "down", "failing": failing, "services": services},
        status=503 if failing else 200,
    )
