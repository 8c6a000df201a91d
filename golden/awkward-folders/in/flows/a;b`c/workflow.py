from prefect import flow


@flow(name="odd")
def odd():
    """A flow in an odd folder."""
