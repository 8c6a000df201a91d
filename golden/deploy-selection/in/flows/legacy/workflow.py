from prefect import flow


@flow
def legacy(day: str, dry_run: bool = False):
    """Rerun one day by hand."""
