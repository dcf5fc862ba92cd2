"""Tests of the lienthong command line."""
