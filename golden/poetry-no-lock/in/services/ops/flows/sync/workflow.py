import paramiko
from prefect import flow


@flow
def sync_hosts(host: str = "backup.example.com") -> str:
    """Name the SSH client that would sync a host."""
    return f"{paramiko.SSHClient.__name__} for {host}"
