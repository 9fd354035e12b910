# The Shuxin app image; the database is the postgis/postgis service of docker-compose.yml.
FROM python:3.11-slim-bookworm

RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY api api
COPY gis gis
COPY map_ui map_ui
COPY data data
# Editable install: the code, migrations, data and vendored files stay under /app.
RUN python map_ui/assets/build.py \
 && rm -rf map_ui/assets/node_modules \
 && pip install --no-cache-dir -e .

ENV SHUXIN_HOST=0.0.0.0 SHUXIN_PORT=8000 SHUXIN_HOME=/var/lib/shuxin
EXPOSE 8000
CMD ["sh", "-c", "shuxin db migrate && shuxin serve --workers 2"]
