"""Lienthong: the national document-exchange hub, agency gateway, checks, warnings and monitoring."""

__version__ = "0.1.0"
