from prefect import flow


@flow
def legacy(day: str):
    """Rerun one day by hand."""
