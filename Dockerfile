# The image for web, worker and beat in docker-compose.yml: small, non-root.
# Python's latest 3.11 patch, pinned by version and digest (README, "With Docker").
FROM python:3.11.16-slim-bookworm@sha256:c425d915a89a6dcd3183b1797ad9bd8878caff5a417f6371c8df93c8ea8b727f

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=project.settings.deploy \
    BROADSHEET_CONFIG=/run/broadsheet/config.json

# /var/lib/broadsheet/beat: beat's schedule volume, which takes this directory's owner when created.
RUN groupadd --system broadsheet && useradd --system --gid broadsheet --home-dir /app broadsheet \
    && mkdir -p /var/lib/broadsheet/beat && chown broadsheet:broadsheet /var/lib/broadsheet/beat

WORKDIR /app
COPY requirements/ requirements/
# Every package pinned with its hashes (requirements/deploy.txt, `make lock`).
RUN pip install --require-hashes --no-deps -r requirements/deploy.txt

COPY --chown=broadsheet:broadsheet . .
# collectstatic opens no connection, but deploy settings refuse the example's
# placeholder secrets: it runs on a copy with a throwaway key, deleted after.
RUN python -c "import json, secrets; config = json.load(open('config.json.example')); \
config['SECRET_KEY'] = secrets.token_urlsafe(50); config.pop('HEALTHZ_DETAIL_TOKEN', None); \
json.dump(config, open('/tmp/build-config.json', 'w'))" \
    && BROADSHEET_CONFIG=/tmp/build-config.json python manage.py collectstatic --no-input --verbosity 0 \
    && rm /tmp/build-config.json \
    && chown -R broadsheet:broadsheet staticfiles

USER broadsheet
EXPOSE 8000
CMD ["gunicorn", "project.wsgi", "--config", "project/deploy/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--workers", "3", "--no-control-socket", "--access-logfile", "-"]
