from prefect import flow


@flow(name="extract")
def extract():
    pass


@flow
def pipeline_a():
    extract()
