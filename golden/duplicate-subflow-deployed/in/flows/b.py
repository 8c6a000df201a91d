from prefect import flow


@flow(name="extract")
def extract():
    return 1


@flow
def pipeline_b():
    extract()
