"""The test suite of Lienthong, mirroring the package layout."""
