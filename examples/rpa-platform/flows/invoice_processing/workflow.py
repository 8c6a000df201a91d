"""Invoice processing: validate supplier invoices and route large ones for approval."""

import asyncio
from datetime import date
from pathlib import Path
from typing import Optional

from dateutil import parser as date_parser
from prefect import flow, get_run_logger, task

from shared.io import read_csv_rows, remove_paths, write_json
from shared.notify import notify

DATA_DIR = Path(__file__).parent / "data"
OUTPUT_DIR = Path(__file__).parent / "output"


def parse_date(text: str) -> date:
    """ISO dates as they are, anything else the European way (day first)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return date_parser.parse(text, dayfirst=True).date()


@task
async def parse_invoice(row: dict, vat_rate: float) -> dict:
    """Parse one CSV row: dates in any supplier format, amounts with VAT added."""
    net = round(float(row["net_amount"].replace(",", "")), 2)
    return {
        "invoice_id": row["invoice_id"],
        "vendor_id": row["vendor_id"],
        "issued": parse_date(row["issue_date"]),
        "due": parse_date(row["due_date"]),
        "currency": row["currency"].upper(),
        "net": net,
        "gross": round(net * (1 + vat_rate), 2),
    }


@task
async def route_invoice(invoice: dict, currency: str, approval_threshold: float) -> dict:
    """Decide whether an invoice is booked directly, needs approval or is rejected."""
    if invoice["currency"] != currency:
        status = "rejected"
    elif invoice["gross"] >= approval_threshold:
        status = "needs_approval"
    else:
        status = "booked"
    return {**invoice, "status": status}


@flow(
    name="invoice-processing",
    description="Validate supplier invoices, compute VAT and route large invoices for approval.",
    version="1.2.0",
    timeout_seconds=3600,
)
async def process_invoices(
    currency: str = "EUR",
    vat_rate: float = 0.21,
    approval_threshold: float = 10_000.0,
    vendor_ids: Optional[list[str]] = None,
    due_before: Optional[date] = None,
    notify_channel: str = "#finance-rpa",
    cleanup: bool = True,
    use_distributed: bool = False,
) -> dict:
    """Read the invoice inbox export, book small invoices and queue large ones for approval."""
    logger = get_run_logger()
    rows = read_csv_rows(DATA_DIR / "invoices.csv")
    if vendor_ids:
        rows = [row for row in rows if row["vendor_id"] in vendor_ids]
    if not rows:
        logger.warning("No invoices to process in %s", DATA_DIR)
        return {"booked": 0, "needs_approval": 0, "rejected": 0}

    if use_distributed:
        invoices = await asyncio.gather(*(parse_invoice(row, vat_rate) for row in rows))
    else:
        invoices = [await parse_invoice(row, vat_rate) for row in rows]
    if due_before:
        invoices = [invoice for invoice in invoices if invoice["due"] < due_before]

    routed = [await route_invoice(invoice, currency, approval_threshold) for invoice in invoices]
    statuses = ("booked", "needs_approval", "rejected")
    counts = {status: sum(1 for r in routed if r["status"] == status) for status in statuses}

    scratch = write_json(OUTPUT_DIR / "parsed.tmp.json", invoices)
    write_json(OUTPUT_DIR / "routed_invoices.json", routed)
    if cleanup:
        remove_paths([scratch])

    logger.info("Invoice run finished: %s", counts)
    if counts["needs_approval"]:
        notify(f"{counts['needs_approval']} invoice(s) waiting for approval", channel=notify_channel)
    return counts
