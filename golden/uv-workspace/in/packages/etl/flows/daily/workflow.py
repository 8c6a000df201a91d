from prefect import flow
from tabulate import tabulate

from common import title


@flow(name="daily-etl")
def daily(rows: int = 3) -> str:
    """Print a small table."""
    return title("squares") + tabulate([[i, i * i] for i in range(rows)])
