# The bot on the official slim Python image. The install step is README.md's "Running in
# production" one (CI installs the same package the same way: tests/test_install.py).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    XDG_DATA_HOME=/data \
    HOST=0.0.0.0 \
    PORT=3000 \
    HEALTH_PORT=8080 \
    PATH=/opt/coachbot/bin:$PATH

RUN useradd --system --uid 10001 --home-dir /data --create-home coachbot

WORKDIR /opt/coachbot/src
COPY pyproject.toml setup.py README.md LICENSE ./
COPY bot ./bot
COPY protocols ./protocols
RUN python3 -m venv /opt/coachbot && /opt/coachbot/bin/pip install -q --no-cache-dir .

USER coachbot
VOLUME /data
EXPOSE 3000 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD python3 -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % (os.environ.get('HEALTH_PORT') if os.environ.get('SLACK_APP_TOKEN') else os.environ.get('PORT', '3000')), timeout=4)"
CMD ["coachbot", "serve"]
