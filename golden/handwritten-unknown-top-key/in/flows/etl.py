from prefect import flow


@flow
def etl(day: str = "today"):
    print(day)
