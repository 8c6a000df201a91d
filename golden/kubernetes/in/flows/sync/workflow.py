import httpx
from prefect import flow


@flow(name="sync", version="2.0")
def sync(url: str = "https://example.com"):
    """Fetch a page."""
    return httpx.get(url).status_code
