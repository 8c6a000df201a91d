from prefect import flow


@flow(name="weekly-report")
def main(weeks: int = 1):
    """Write the weekly report."""
    print(weeks)
