import pytest


@pytest.mark.django_db
def test_healthz_is_200_when_every_service_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "failing": [],
        "services": {"database": "ok", "cache": "ok", "broker": "ok", "storage": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_503_naming_an_unreachable_broker(client, settings):
    # Nothing listens on port 9 of loopback: a real refused connection.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]
    assert response.json()["services"]["broker"] == "ConnectionError"


@pytest.mark.django_db
def test_healthz_is_503_naming_a_missing_bucket(client, settings):
    settings.STORAGES = settings.STORAGES | {
        "default": {
            "BACKEND": "apps.images.storage.MediaStorage",
            "OPTIONS": {"bucket_name": "no-such-bucket"},
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["storage"]
