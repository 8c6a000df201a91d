from prefect import flow

from flows.pipeline.workflow import extract


@flow(name="daily-report")
def report():
    """Report on yesterday's rows."""
    extract(source="yesterday")
