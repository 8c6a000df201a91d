"""Helpers shared by every RPA flow in this repository."""
