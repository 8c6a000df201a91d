from prefect import flow


@flow(name="etl")
def etl(source: str, limit: int = 10, cleanup: bool = True):
    """Copy rows from source."""
