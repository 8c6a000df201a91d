from prefect import flow


@flow
def scratch():
    """Someone's experiment."""
