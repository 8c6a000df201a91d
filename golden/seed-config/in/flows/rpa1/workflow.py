from prefect import flow


@flow
def main(cleanup: bool = True, use_distributed: bool = False):
    """The seed's rpa1."""
