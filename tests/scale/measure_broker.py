"""What the broker of `make airflow WORKERS=N` costs: the figures docs/scaling.md quotes.

    .venv/bin/python tests/scale/measure_broker.py [--tasks 200] [--redis redis://127.0.0.1:6379/0]

Runs one Celery worker (two processes, as a local Airflow worker has) and sends it ``--tasks``
empty tasks through kombu's SQLAlchemy transport on the embedded Postgres, then (with ``--redis``)
through Redis, results in the same Postgres each time (as Airflow's ``db+`` result backend). It
prints the round trip of one task and the time for all of them. An Airflow task's own start-up
(a fork, the DAG file parsed, the execution API called) takes seconds; the broker's share of it
is what this shows. Not a test: it measures, and the machine's other load shows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid

import psycopg
from psycopg import sql

if __name__ != "__main__":
    # The worker process imports this module as its Celery app.
    from celery import Celery

    app = Celery("measure_broker", broker=os.environ["MEASURE_BROKER"], backend=os.environ["MEASURE_BACKEND"])

    @app.task(name="measure_broker.noop")
    def noop() -> int:
        return 1


def _measure(broker: str, backend: str, tasks: int) -> dict[str, float]:
    env = {**os.environ, "MEASURE_BROKER": broker, "MEASURE_BACKEND": backend,
           "PYTHONPATH": os.path.dirname(os.path.abspath(__file__))}
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "measure_broker", "worker", "--concurrency", "2",
                               "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from celery import Celery

        client = Celery("client", broker=broker, backend=backend)

        def send():
            return client.send_task("measure_broker.noop")

        send().get(timeout=120)  # the worker is up and the tables exist
        single = []
        for _ in range(10):
            started = time.perf_counter()
            send().get(timeout=60)
            single.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        results = [send() for _ in range(tasks)]
        for result in results:
            result.get(timeout=600)
        seconds = time.perf_counter() - started
        return {"one task, median round trip (ms)": round(statistics.median(single)),
                f"{tasks} tasks (s)": round(seconds, 1), "tasks per second": round(tasks / seconds, 1)}
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--redis", help="a Redis URL to compare with, e.g. redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    from agritrace import db

    server = db.server_url()
    name = f"agritrace_broker_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        database = db.sqlalchemy_url(db.with_database(server, name))
        brokers = {"SQLAlchemy transport on Postgres": f"sqla+{database}"}
        if args.redis:
            brokers["Redis"] = args.redis
        print(f"cores: {os.cpu_count()}  load average: {os.getloadavg()}")
        for label, broker in brokers.items():
            print(label, _measure(broker, f"db+{database}", args.tasks), flush=True)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
