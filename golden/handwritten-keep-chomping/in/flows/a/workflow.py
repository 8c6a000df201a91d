from prefect import flow


@flow
def a():
    """A."""
