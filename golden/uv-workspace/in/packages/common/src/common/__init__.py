"""Shared helpers."""


def title(text: str) -> str:
    return text.upper() + "\n"
