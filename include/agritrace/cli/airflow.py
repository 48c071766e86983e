"""`agritrace airflow …`: Airflow on this machine."""

from __future__ import annotations

from typing import Annotated

import typer

from agritrace.cli.base import app

airflow_app = typer.Typer(help="Airflow on this machine.", no_args_is_help=True)
app.add_typer(airflow_app, name="airflow")

@airflow_app.command("env")
def airflow_env_cmd() -> None:
    """Print the Airflow environment of the running stack as shell exports (eval "$(agritrace airflow env)")."""
    import shlex

    from agritrace.airflow_local import airflow_env, running_workers

    for key, value in airflow_env(workers=running_workers()).items():
        typer.echo(f"export {key}={shlex.quote(value)}")


@airflow_app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                                              "help_option_names": []})
def airflow_run(ctx: typer.Context) -> None:
    """Run any airflow command with agritrace's configuration, e.g. `agritrace airflow run dags list`."""
    from agritrace.airflow_local import run_airflow

    raise typer.Exit(run_airflow(list(ctx.args), check=False).returncode)


@airflow_app.command("up")
def airflow_up(
    demo_data: Annotated[bool, typer.Option(help="Land the demo set for the scheduled DAGs to pick up")] = True,
    workers: Annotated[int, typer.Option(min=0, help="Celery workers to run the tasks (CeleryExecutor); "
                                         "0 runs them with the LocalExecutor")] = 0,
) -> None:
    """Start api-server, scheduler, dag-processor and triggerer on this machine (and Celery workers)."""
    from agritrace.airflow_local import (
        LOCAL_PORT,
        LOCAL_USER,
        land_demo_data,
        start_stack,
        unpause_scheduled_dags,
        wait_until_ready,
    )
    from agritrace.bootstrap import bring_up

    for line in bring_up():
        typer.echo(line)
    if demo_data:
        typer.echo(land_demo_data())
    pids = start_stack(workers)
    typer.echo("started " + ", ".join(f"{k} (pid {v})" for k, v in pids.items()))
    ready = wait_until_ready()
    unpause_scheduled_dags()
    typer.echo(f"Airflow UI: http://localhost:{LOCAL_PORT}  (log in as {LOCAL_USER} / admin)"
               + ("" if ready else "  — still starting; give it a minute"))
    if workers:
        typer.echo(f"CeleryExecutor with {workers} worker(s); each task instance's hostname names its worker")
    typer.echo(f"agritrace pages: http://localhost:{LOCAL_PORT}/agritrace/ui/quality · /agritrace/ui/trace · "
               "/agritrace/ui/marts")
    typer.echo("stop with: make airflow-stop")


@airflow_app.command("stop")
def airflow_stop() -> None:
    """Stop what `agritrace airflow up` started."""
    from agritrace.airflow_local import stop_stack

    stopped = stop_stack()
    typer.echo("stopped " + ", ".join(stopped) if stopped else "nothing was running")
