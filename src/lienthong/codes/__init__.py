"""The codes and rules of the standards: agency codes, document types, number/notation, DocumentId, dates."""

from lienthong.codes.agency import (
    AgencyCode,
    Classified,
    CodeKind,
    classify,
    is_valid_agency_code,
    level1_body,
    same_body,
)
from lienthong.codes.dates import VIETNAM, parse_date, parse_timestamp
from lienthong.codes.docid import DocumentId
from lienthong.codes.doctypes import (
    ALL_TYPES,
    ELECTRONIC_ONLY_775,
    DocumentKind,
    find_type,
    is_electronic_only,
)
from lienthong.codes.notation import Notation, NotationIssue

__all__ = [
    "ALL_TYPES",
    "ELECTRONIC_ONLY_775",
    "VIETNAM",
    "AgencyCode",
    "Classified",
    "CodeKind",
    "DocumentId",
    "DocumentKind",
    "Notation",
    "NotationIssue",
    "classify",
    "find_type",
    "is_electronic_only",
    "is_valid_agency_code",
    "level1_body",
    "parse_date",
    "parse_timestamp",
    "same_body",
]
