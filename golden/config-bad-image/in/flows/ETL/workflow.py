from prefect import flow


@flow
def etl():
    """Load the warehouse."""
