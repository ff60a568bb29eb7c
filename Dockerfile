# The image for web, worker and beat in docker-compose.yml: small, non-root.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=project.settings.deploy \
    BROADSHEET_CONFIG=/run/broadsheet/config.json

RUN groupadd --system broadsheet && useradd --system --gid broadsheet --home-dir /app broadsheet

WORKDIR /app
COPY requirements/ requirements/
RUN pip install -r requirements/deploy.txt

COPY --chown=broadsheet:broadsheet . .
# collectstatic reads no secret and opens no connection: the example config suffices.
RUN BROADSHEET_CONFIG=config.json.example python manage.py collectstatic --no-input --verbosity 0 \
    && chown -R broadsheet:broadsheet staticfiles

USER broadsheet
EXPOSE 8000
CMD ["gunicorn", "project.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--no-control-socket", "--access-logfile", "-"]
