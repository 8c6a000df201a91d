from prefect import flow


@flow(name="hello")
def hello(name: str = "world", times: int = 1):
    """Say hello."""
    for _ in range(times):
        print(f"hello {name}")
