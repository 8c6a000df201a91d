"""RPA 2: scrape open invoice totals from the supplier portal."""

import asyncio
import csv
import io
from pathlib import Path
from typing import Optional

import httpx
from bs4 import BeautifulSoup
from prefect import flow as prefect_flow
from prefect import get_run_logger, task, unmapped

from shared.io import read_json, remove_paths, write_json, write_text

DATA_DIR = Path(__file__).parent / "data"
OUTPUT_DIR = Path(__file__).parent / "output"


@task(retries=2, retry_delay_seconds=5)
async def fetch_page(url: str, timeout: float) -> dict:
    """Fetch one portal page."""
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client:
        response = await client.get(url)
        response.raise_for_status()
        return {"url": url, "html": response.text}


@task
def parse_page(page: dict, selectors: list[str]) -> dict:
    """Extract the text of every element matching the CSS selectors."""
    soup = BeautifulSoup(page["html"], "html.parser")
    found = {selector: [el.get_text(strip=True) for el in soup.select(selector)] for selector in selectors}
    return {"url": page["url"], "found": found}


@prefect_flow(name="rpa2-portal-scrape", log_prints=True, retries=1)
async def scrape_supplier_portal(
    portal_url: Optional[str] = None,
    selectors: list[str] = ["h1.supplier", "td.amount"],  # noqa: B006 - shown as the default in the Prefect UI
    max_pages: int = 5,
    request_timeout: float = 15.0,
    cleanup: bool = True,
    use_distributed: bool = False,
) -> list[dict]:
    """Scrape supplier names and open amounts from the portal, or from saved pages when no portal URL is given."""
    logger = get_run_logger()
    if portal_url:
        urls = [f"{portal_url.rstrip('/')}/invoices?page={n}" for n in range(1, max_pages + 1)]
        if use_distributed:
            pages = await asyncio.gather(*(fetch_page(url, request_timeout) for url in urls))
        else:
            pages = [await fetch_page(url, request_timeout) for url in urls]
    else:
        pages = (read_json(DATA_DIR / "pages.json", default=[]) or [])[:max_pages]

    if not pages:
        logger.warning("No portal pages to scrape")
        return []

    raw_file = write_json(OUTPUT_DIR / "raw_pages.json", pages)
    if use_distributed:
        results = parse_page.map(pages, selectors=unmapped(selectors)).result()
    else:
        results = [parse_page(page, selectors) for page in pages]

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["url", "selector", "value"])
    rows = [
        [result["url"], selector, value]
        for result in results
        for selector, values in result["found"].items()
        for value in values
    ]
    writer.writerows(rows)
    write_text(OUTPUT_DIR / "portal_values.csv", buffer.getvalue())
    if cleanup:
        remove_paths([raw_file])

    print(f"Scraped {len(results)} page(s) with {len(rows)} value(s)")
    return results
