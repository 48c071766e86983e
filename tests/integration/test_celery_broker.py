"""The local Celery stack's broker lives in Airflow's metadata database: its tables and its task queue
exist before any worker starts, so workers starting at once do not race to create them (the loser of
that race died with ``duplicate key … queue_id_sequence`` or ``… kombu_queue_name_key`` and left
`make airflow WORKERS=2` one worker short)."""

from __future__ import annotations

import psycopg
from agritrace.airflow_local import celery_env, prepare_broker


def test_the_broker_tables_and_queue_exist_before_a_worker_connects(fresh_database_url):
    env = celery_env(fresh_database_url)
    prepare_broker(env)
    with psycopg.connect(fresh_database_url) as conn:
        relations = {name for (name,) in conn.execute(
            "select relname from pg_class where relname in "
            "('kombu_queue', 'kombu_message', 'queue_id_sequence', 'message_id_sequence')").fetchall()}
        queues = [name for (name,) in conn.execute("select name from kombu_queue").fetchall()]
    assert relations == {"kombu_queue", "kombu_message", "queue_id_sequence", "message_id_sequence"}
    assert queues == ["default"]
    # Preparing again (a restarted stack) changes nothing.
    prepare_broker(env)
    with psycopg.connect(fresh_database_url) as conn:
        assert conn.execute("select count(*) from kombu_queue").fetchone()[0] == 1

