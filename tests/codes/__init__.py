"""Tests of lienthong.codes: agency codes, document types, number/notation, DocumentId."""
