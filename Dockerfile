# The game's host in a container: `tictactoe --serve`, installed from this checkout as players install
# the game, run by a user without privileges, its database and secret on a volume.
#
#   docker build -t tictactoe-host .
#   docker run -d --name tictactoe -p 7350:7350 -v tictactoe-data:/data tictactoe-host --key YOUR-SERVER-KEY
#
# Options after the image name go to the host (docs/HOST.md lists them); keep its port 7350 inside
# the container (map another one outside with -p) so that the health check finds it. With
# --tls-cert/--tls-key, mount the PEM files read-only and name them by their path in the container.

FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# The package (its build backend, hatchling, is fetched by pip at build time), then the sources go.
COPY pyproject.toml README.md LICENSE requirements.txt /src/
COPY game /src/game
COPY net /src/net
COPY ui /src/ui
COPY assets /src/assets
RUN python -m pip install /src && rm -rf /src

# A system user that owns nothing but the data folder.
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home --shell /usr/sbin/nologin tictactoe \
    && mkdir /data && chown tictactoe:tictactoe /data && chmod 700 /data
USER tictactoe
VOLUME ["/data"]
EXPOSE 7350

# GET /healthcheck answers 200 while the host runs (docs/HOST.md, HTTP); urllib, so no curl is needed.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:7350/healthcheck', timeout=4)"]

# Every interface of the container (0.0.0.0): the host's own default, 127.0.0.1, would be unreachable.
# SIGTERM (docker stop) makes the host tell players and close the database, then exit 0.
ENTRYPOINT ["tictactoe", "--serve", "--bind", "0.0.0.0", "--port", "7350", "--data", "/data"]
CMD []
