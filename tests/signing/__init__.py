"""Tests of lienthong.signing: trust store, PAdES, XML-DSig, cross-checks, demo PKI and commands."""
