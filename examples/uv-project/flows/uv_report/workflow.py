"""Summarise the sales export into a plain-text table."""

import csv
from importlib.metadata import version
from pathlib import Path

from prefect import flow, get_run_logger, task
from tabulate import tabulate

DATA_DIR = Path(__file__).parent / "data"
OUTPUT_DIR = Path(__file__).parent / "output"


@task
def read_sales(name: str) -> list[dict]:
    """Read the rows of a CSV file in the data folder."""
    with open(DATA_DIR / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@flow(name="uv-sales-report", log_prints=True)
def sales_report(source: str = "sales.csv", title: str = "Sales by region") -> str:
    """Write the sales of every region, and their total, as a table."""
    rows = read_sales(source)
    table = [[r["region"], int(r["orders"]), float(r["revenue"])] for r in rows]
    table.append(["total", sum(r[1] for r in table), round(sum(r[2] for r in table), 2)])
    text = f"{title}\n\n" + tabulate(table, headers=["region", "orders", "revenue"], floatfmt=".2f") + "\n"
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUTPUT_DIR / "sales_report.txt"
    out.write_text(text + f"\ntabulate {version('tabulate')}\n", encoding="utf-8")
    get_run_logger().info("wrote %s", out)
    return str(out)


if __name__ == "__main__":
    sales_report()
