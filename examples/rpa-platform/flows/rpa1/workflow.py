"""RPA 1: extract customer records from the CRM export and normalise them."""

import os
from pathlib import Path
from typing import Optional

import httpx
from prefect import flow, get_run_logger, task

from shared.io import read_csv_rows, remove_paths, write_json
from shared.notify import notify

DATA_DIR = Path(__file__).parent / "data"
OUTPUT_DIR = Path(__file__).parent / "output"


@task(retries=3, retry_delay_seconds=10)
def fetch_remote_records(source_url: str) -> list[dict]:
    """Download the latest customer records from the CRM API."""
    response = httpx.get(source_url, timeout=30.0)
    response.raise_for_status()
    return response.json()


@task
def load_local_records() -> list[dict]:
    """Read the nightly CRM export dropped into the data folder."""
    return read_csv_rows(DATA_DIR / "customers.csv")


@task
def normalise_batch(records: list[dict], countries: Optional[list[str]]) -> list[dict]:
    """Trim, lower-case e-mails and keep only the requested countries."""
    wanted = {c.upper() for c in countries} if countries else None
    cleaned = []
    for record in records:
        country = str(record.get("country", "")).strip().upper()
        if wanted and country not in wanted:
            continue
        cleaned.append(
            {
                "customer_id": str(record.get("customer_id", "")).strip(),
                "name": str(record.get("name", "")).strip().title(),
                "email": str(record.get("email", "")).strip().lower(),
                "country": country,
            }
        )
    return cleaned


@flow(name="rpa1-extract", log_prints=True, retries=2, retry_delay_seconds=30)
def extract_customer_records(
    source_url: str = "http://localhost:8080/api/customers",
    batch_size: int = 50,
    fetch_remote: bool = False,
    countries: Optional[list[str]] = None,
    cleanup: bool = True,
    use_distributed: bool = False,
) -> dict:
    """Extract customer records from the CRM (API or nightly CSV export) and write a normalised JSON file."""
    logger = get_run_logger()
    records = fetch_remote_records(source_url) if fetch_remote else load_local_records()
    if not records:
        logger.warning("No customer records found in %s", DATA_DIR)
        return {"records": 0, "output": None}

    batches = [records[i : i + batch_size] for i in range(0, len(records), batch_size)]
    print(f"Normalising {len(records)} records in {len(batches)} batch(es)")
    if use_distributed:
        futures = [normalise_batch.submit(batch, countries) for batch in batches]
        normalised = [row for future in futures for row in future.result()]
    else:
        normalised = [row for batch in batches for row in normalise_batch(batch, countries)]

    staging_file = write_json(OUTPUT_DIR / "customers.staging.json", records)
    output_file = write_json(OUTPUT_DIR / "customers_normalised.json", normalised)
    if cleanup:
        remove_paths([staging_file])

    # What this run was configured with (flows/rpa1/.env.<environment>),
    # for the operators reading the output folder.
    write_json(
        OUTPUT_DIR / "run_settings.json",
        {"log_level": os.environ.get("RPA_LOG_LEVEL", ""), "target_url": os.environ.get("RPA_TARGET_URL", "")},
    )
    notify(f"rpa1-extract wrote {len(normalised)} customer records", channel="#crm-sync")
    return {"records": len(normalised), "output": str(output_file)}
