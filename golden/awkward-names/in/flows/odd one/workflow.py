from prefect import flow


@flow(name="it's a \"flow\": #1 {{ x }} $HOME café", description="Line one.\nLine two: with # and 'quotes' and {{ braces }}.")
def odd(path: str = "C:\\temp", *, mode: str = "a:b", **kw):
    """Docstring ignored: the description wins."""
