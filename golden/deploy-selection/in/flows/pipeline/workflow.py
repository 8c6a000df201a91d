from prefect import flow


@flow
def extract(source: str = "local"):
    """Read the rows."""
    return [source]


@flow
def transform(rows: list):
    """Shape the rows."""
    return rows


@flow
def pipeline():
    """Extract, then transform."""
    rows = extract()
    return transform(rows)
