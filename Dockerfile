# agritrace on the official Airflow image, with exactly the locked dependencies (uv.lock).
ARG AIRFLOW_VERSION=3.3.2
FROM apache/airflow:${AIRFLOW_VERSION}-python3.11

USER root
WORKDIR /opt/airflow/project
COPY pyproject.toml uv.lock README.md ./
RUN chown -R airflow: /opt/airflow/project
USER airflow

# Export the lock to a requirements file so pip installs the same versions the tests ran with.
RUN pip install --no-cache-dir uv \
 && uv export --frozen --no-dev --no-emit-project --no-hashes -o /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt

COPY --chown=airflow: include ./include
COPY --chown=airflow: sql ./sql
COPY --chown=airflow: dags ./dags
COPY --chown=airflow: plugins ./plugins
COPY --chown=airflow: profiles ./profiles
# Editable, so the include/ mounted by compose is what runs.
RUN pip install --no-cache-dir --no-deps -e .
