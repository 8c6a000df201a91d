from prefect import flow


@flow(name="legacy")
def legacy():
    """Deployed by hand."""
