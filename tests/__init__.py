"""Lienthong tests; they mirror src/lienthong (one package per part)."""
