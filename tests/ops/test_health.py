"""/healthz for the load balancer, /healthz/detail for operators.

The load balancer's probe asks only what this server needs to serve pages
(its database connection): a dead broker or bucket is the same for every app
server, and taking them all out of rotation would turn a degraded site into
no site. The detailed report probes every service, for staff or a token, and
is cached for a few seconds so that polling it cannot become a load."""

import pytest

DEAD_REDIS = "redis://127.0.0.1:9/0"  # nothing listens on port 9 of loopback: a real refused connection
TOKEN = "operators-token-for-tests"


@pytest.fixture
def missing_bucket(settings):
    settings.STORAGES = settings.STORAGES | {
        "default": {
            "BACKEND": "apps.images.storage.MediaStorage",
            "OPTIONS": {"bucket_name": "no-such-bucket"},
        }
    }


@pytest.fixture
def detail_token(settings):
    settings.HEALTHZ_DETAIL_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.mark.django_db
def test_healthz_is_200_and_costs_one_trivial_query(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["head", "options"])
def test_healthz_answers_the_probe_methods_load_balancers_use(client, method):
    assert getattr(client, method)("/healthz").status_code == 200


@pytest.mark.django_db
def test_healthz_stays_200_with_a_dead_broker_cache_and_bucket(client, settings, missing_bucket):
    """Pages can still be served: the load balancer must keep this server."""
    settings.CELERY_BROKER_URL = DEAD_REDIS
    settings.CACHES = {"default": settings.CACHES["default"] | {"LOCATION": DEAD_REDIS}}
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_healthz_detail_is_404_for_anonymous_visitors(client):
    assert client.get("/healthz/detail").status_code == 404


@pytest.mark.django_db
def test_healthz_detail_is_404_for_a_wrong_token(client, detail_token):
    assert client.get("/healthz/detail", HTTP_AUTHORIZATION="Bearer guess").status_code == 404


@pytest.mark.django_db
def test_healthz_detail_needs_a_configured_token(client, settings):
    """No token in config means no token is accepted, not that an empty one is."""
    settings.HEALTHZ_DETAIL_TOKEN = None
    assert client.get("/healthz/detail", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.django_db
def test_healthz_detail_reports_every_service_answering_to_staff(admin_client):
    response = admin_client.get("/healthz/detail")
    assert response.status_code == 200
    report = response.json()
    assert report.pop("replica_lag_seconds") == {}  # no replica serves reads in this test
    assert report == {
        "status": "ok",
        "failing": [],
        "services": {"database": "ok", "cache": "ok", "broker": "ok", "storage": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_detail_names_an_unreachable_broker(client, settings, detail_token):
    settings.CELERY_BROKER_URL = DEAD_REDIS
    response = client.get("/healthz/detail", **detail_token)
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]
    assert response.json()["services"]["broker"] == "ConnectionError"


@pytest.mark.django_db
def test_healthz_detail_names_a_missing_bucket(client, missing_bucket, detail_token):
    response = client.get("/healthz/detail", **detail_token)
    assert response.status_code == 503
    assert response.json()["failing"] == ["storage"]


@pytest.mark.django_db
def test_healthz_detail_is_probed_once_per_few_seconds(
    client, settings, detail_token, django_assert_num_queries
):
    """A second request within the window reuses the report: no probe, no query."""
    with django_assert_num_queries(1):
        first = client.get("/healthz/detail", **detail_token)
    settings.CELERY_BROKER_URL = DEAD_REDIS
    with django_assert_num_queries(0):
        second = client.get("/healthz/detail", **detail_token)
    assert second.json() == first.json()
