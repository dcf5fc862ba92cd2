"""The typed model of edXML messages (QCVN 102:2016 and amendment 1:2022), documents and statuses.

Each class mirrors one element; each field names the element it maps (``el``/``els``/``wrapped``
helpers below), so one generic mapper reads and writes them all. Leaf values are kept as the
strings found on the wire (an impossible date must survive to be reported); typed readings
(dates, codes, numbers) live in ``lienthong.codes`` and the validation. Elements the model does
not know are kept in ``extras`` and written back where they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar

from lienthong.edxml.blob import AttachmentData
from lienthong.edxml.xmltools import XmlFragment
from lienthong.problems import Problem


class Kind(Enum):
    TEXT = "text"
    NODE = "node"
    FRAGMENT = "fragment"
    BLOB = "blob"


@dataclass(frozen=True)
class FieldSpec:
    """How one model field maps to elements."""

    local: str  # element local name (the item's name for wrapped lists)
    kind: Kind
    many: bool = False
    wrapper: str | None = None  # wrapped lists: Appendixes/Appendix*
    node_type: Any = None  # the Node subclass for NODE fields
    any_ns: bool = False  # matched in any namespace (Signature)


def el(local: str, kind: Kind = Kind.TEXT, node_type: Any = None, *, any_ns: bool = False) -> Any:
    """A single child element: text by default, or a node, fragment or blob."""
    spec = FieldSpec(local, kind, node_type=node_type, any_ns=any_ns)
    return field(default=None, metadata={"spec": spec})


def els(local: str, kind: Kind = Kind.TEXT, node_type: Any = None) -> Any:
    """A repeated child element without a wrapper (To*, ResponseFor*)."""
    spec = FieldSpec(local, kind, many=True, node_type=node_type)
    return field(default_factory=list, metadata={"spec": spec})


def wrapped(wrapper: str, item: str, kind: Kind = Kind.TEXT, node_type: Any = None) -> Any:
    """A list inside a wrapper element (ToPlaces/Place*); None when the wrapper is absent."""
    spec = FieldSpec(item, kind, many=True, wrapper=wrapper, node_type=node_type)
    return field(default=None, metadata={"spec": spec})


@dataclass(frozen=True)
class Slot:
    """One child as found in the source, so a parsed message is written back in its own order.

    ``key`` is a field name, ``#extra`` (index into extras) or ``#comment`` (text in ``tag``).
    """

    key: str
    index: int
    tag: str
    attrib: tuple[tuple[str, str], ...] = ()


@dataclass(kw_only=True)
class Node:
    """Base of every element class: attributes, unknown children and source layout."""

    attrib: dict[str, str] = field(default_factory=dict)
    extras: list[XmlFragment] = field(default_factory=list)
    layout: list[Slot] = field(default_factory=list, compare=False, repr=False)


T = TypeVar("T")


class ElementList(list[T], Generic[T]):
    """The items of a wrapped list, with what the wrapper itself carried (attributes, extras)."""

    def __init__(self, items: Any = ()) -> None:
        super().__init__(items)
        self.attrib: dict[str, str] = {}
        self.extras: list[XmlFragment] = []
        self.layout: list[Slot] = []


# --- MessageHeader parts ---------------------------------------------------------------------


@dataclass(kw_only=True)
class Organization(Node):
    """An agency in From / To."""

    organ_id: str | None = el("OrganId")
    organization_in_charge: str | None = el("OrganizationInCharge")
    organ_name: str | None = el("OrganName")
    organ_add: str | None = el("OrganAdd")
    email: str | None = el("Email")
    telephone: str | None = el("Telephone")
    fax: str | None = el("Fax")
    website: str | None = el("Website")


@dataclass(kw_only=True)
class Code(Node):
    code_number: str | None = el("CodeNumber")
    code_notation: str | None = el("CodeNotation")


@dataclass(kw_only=True)
class PromulgationInfo(Node):
    place: str | None = el("Place")
    promulgation_date: str | None = el("PromulgationDate")


@dataclass(kw_only=True)
class DocumentType(Node):
    type: str | None = el("Type")
    type_detail: str | None = el("TypeDetail")
    type_name: str | None = el("TypeName")


@dataclass(kw_only=True)
class SignerInfo(Node):
    competence: str | None = el("Competence")
    position: str | None = el("Position")
    full_name: str | None = el("FullName")


@dataclass(kw_only=True)
class OtherInfo(Node):
    priority: str | None = el("Priority")
    sphere_of_promulgation: str | None = el("SphereOfPromulgation")
    typer_notation: str | None = el("TyperNotation")
    promulgation_amount: str | None = el("PromulgationAmount")
    page_amount: str | None = el("PageAmount")
    direction: str | None = el("Direction")
    appendixes: ElementList[str] | None = wrapped("Appendixes", "Appendix")
    reference_codes: XmlFragment | None = el("ReferenceCodes", Kind.FRAGMENT)  # 2022


@dataclass(kw_only=True)
class ResponseFor(Node):
    """The document a message answers, revokes or follows up."""

    organ_id: str | None = el("OrganId")
    code: str | None = el("Code")
    promulgation_date: str | None = el("PromulgationDate")
    document_id: str | None = el("DocumentId")


@dataclass(kw_only=True)
class MessageHeader(Node):
    """MessageHeader of a document message."""

    from_: Organization | None = el("From", Kind.NODE, Organization)
    to: list[Organization] = els("To", Kind.NODE, Organization)
    document_id: str | None = el("DocumentId")
    code: Code | None = el("Code", Kind.NODE, Code)
    promulgation_info: PromulgationInfo | None = el("PromulgationInfo", Kind.NODE, PromulgationInfo)
    document_type: DocumentType | None = el("DocumentType", Kind.NODE, DocumentType)
    subject: str | None = el("Subject")
    content: str | None = el("Content")
    signer_info: SignerInfo | None = el("SignerInfo", Kind.NODE, SignerInfo)
    due_date: str | None = el("DueDate")
    other_info: OtherInfo | None = el("OtherInfo", Kind.NODE, OtherInfo)
    response_for: list[ResponseFor] = els("ResponseFor", Kind.NODE, ResponseFor)
    steering_type: str | None = el("SteeringType")
    to_places: ElementList[str] | None = wrapped("ToPlaces", "Place")
    # Amendment 1:2022 elements, accepted and kept; their inner structure is not modelled.
    application_type: str | None = el("ApplicationType")
    response_for_task: XmlFragment | None = el("ResponseForTask", Kind.FRAGMENT)
    agency: XmlFragment | None = el("Agency", Kind.FRAGMENT)
    feedback: XmlFragment | None = el("Feedback", Kind.FRAGMENT)
    package_info: XmlFragment | None = el("PackageInfo", Kind.FRAGMENT)


# --- TraceHeaderList ---------------------------------------------------------------------------


@dataclass(kw_only=True)
class StaffInfo(Node):
    department: str | None = el("Department")
    staff: str | None = el("Staff")
    email: str | None = el("Email")
    mobile: str | None = el("Mobile")
    staff_id: str | None = el("StaffId")  # 2022
    department_id: str | None = el("DepartmentId")  # 2022


@dataclass(kw_only=True)
class TraceHeader(Node):
    organ_id: str | None = el("OrganId")
    timestamp: str | None = el("Timestamp")


@dataclass(kw_only=True)
class Receiver(Node):
    organ_id: str | None = el("OrganId")
    receiver_type: str | None = el("ReceiverType")


@dataclass(kw_only=True)
class BusinessDocumentInfo(Node):
    document_info: str | None = el("DocumentInfo")
    document_receiver: str | None = el("DocumentReceiver")
    receiver_list: ElementList[Receiver] | None = wrapped("ReceiverList", "Receiver", Kind.NODE, Receiver)


@dataclass(kw_only=True)
class ReplacementInfo(Node):
    document_id: str | None = el("DocumentId")
    organ_id_list: ElementList[str] | None = wrapped("OrganIdList", "OrganId")


@dataclass(kw_only=True)
class Business(Node):
    """``Bussiness`` (the standard's spelling): what kind of sending this is."""

    document_id: str | None = el("DocumentId")
    bussiness_doc_type: str | None = el("BussinessDocType")
    bussiness_doc_reason: str | None = el("BussinessDocReason")
    paper: str | None = el("Paper")
    bussiness_document_info: BusinessDocumentInfo | None = el(
        "BussinessDocumentInfo", Kind.NODE, BusinessDocumentInfo
    )
    replacement_info_list: ElementList[ReplacementInfo] | None = wrapped(
        "ReplacementInfoList", "ReplacementInfo", Kind.NODE, ReplacementInfo
    )
    staff_info: StaffInfo | None = el("StaffInfo", Kind.NODE, StaffInfo)


@dataclass(kw_only=True)
class TraceHeaderList(Node):
    trace_headers: list[TraceHeader] = els("TraceHeader", Kind.NODE, TraceHeader)
    business: Business | None = el("Bussiness", Kind.NODE, Business)


# --- Body and attachments --------------------------------------------------------------------


@dataclass(kw_only=True)
class Reference(Node):
    """A manifest entry pointing at an attachment by ContentId."""

    content_id: str | None = el("ContentId")
    content_type: str | None = el("ContentType")
    description: str | None = el("Description")
    attachment_name: str | None = el("AttachmentName")


@dataclass(kw_only=True)
class Manifest(Node):
    references: list[Reference] = els("Reference", Kind.NODE, Reference)


@dataclass(kw_only=True)
class Body(Node):
    manifest: Manifest | None = el("edXMLManifest", Kind.NODE, Manifest)


@dataclass(kw_only=True)
class Attachment(Node):
    content_id: str | None = el("ContentId")
    attachment_name: str | None = el("AttachmentName")
    description: str | None = el("Description")
    content_type: str | None = el("ContentType")
    data: AttachmentData | None = el("ContentTransferEncoded", Kind.BLOB)


# --- Envelopes and messages ------------------------------------------------------------------


@dataclass(kw_only=True)
class Header(Node):
    """edXMLHeader of a document message."""

    message_header: MessageHeader | None = el("MessageHeader", Kind.NODE, MessageHeader)
    trace_header_list: TraceHeaderList | None = el("TraceHeaderList", Kind.NODE, TraceHeaderList)
    signature: XmlFragment | None = el("Signature", Kind.FRAGMENT, any_ns=True)


@dataclass(kw_only=True)
class Envelope(Node):
    header: Header | None = el("edXMLHeader", Kind.NODE, Header)
    body: Body | None = el("edXMLBody", Kind.NODE, Body)


@dataclass(kw_only=True)
class StatusMessageHeader(Node):
    """MessageHeader of a status message."""

    from_: Organization | None = el("From", Kind.NODE, Organization)
    response_for: ResponseFor | None = el("ResponseFor", Kind.NODE, ResponseFor)
    staff_info: StaffInfo | None = el("StaffInfo", Kind.NODE, StaffInfo)
    status_code: str | None = el("StatusCode")
    description: str | None = el("Description")
    timestamp: str | None = el("Timestamp")


@dataclass(kw_only=True)
class StatusHeader(Node):
    message_header: StatusMessageHeader | None = el("MessageHeader", Kind.NODE, StatusMessageHeader)
    trace_header_list: TraceHeaderList | None = el("TraceHeaderList", Kind.NODE, TraceHeaderList)
    signature: XmlFragment | None = el("Signature", Kind.FRAGMENT, any_ns=True)


@dataclass(kw_only=True)
class StatusEnvelope(Node):
    header: StatusHeader | None = el("edXMLHeader", Kind.NODE, StatusHeader)
    body: Body | None = el("edXMLBody", Kind.NODE, Body)


@dataclass(kw_only=True)
class DocumentMessage(Node):
    """A document package: header, trace, signature, manifest and encoded attachments."""

    envelope: Envelope | None = el("edXMLEnvelope", Kind.NODE, Envelope)
    attachments: ElementList[Attachment] | None = wrapped(
        "AttachmentEncoded", "Attachment", Kind.NODE, Attachment
    )
    # Problems found while reading the source (unknown or misplaced elements …).
    source_problems: list[Problem] = field(default_factory=list, compare=False, repr=False)

    kind = "document"

    @property
    def header(self) -> MessageHeader | None:
        env = self.envelope
        return env.header.message_header if env and env.header else None

    @property
    def trace(self) -> TraceHeaderList | None:
        env = self.envelope
        return env.header.trace_header_list if env and env.header else None

    @property
    def business(self) -> Business | None:
        trace = self.trace
        return trace.business if trace else None

    @property
    def signature(self) -> XmlFragment | None:
        env = self.envelope
        return env.header.signature if env and env.header else None

    @property
    def references(self) -> list[Reference]:
        env = self.envelope
        if env and env.body and env.body.manifest:
            return env.body.manifest.references
        return []

    @property
    def attachment_list(self) -> list[Attachment]:
        return list(self.attachments or [])


@dataclass(kw_only=True)
class StatusMessage(Node):
    """A status reply (01 arrived … 06 completed, 13/15/16) about one document."""

    envelope: StatusEnvelope | None = el("edXMLEnvelope", Kind.NODE, StatusEnvelope)
    source_problems: list[Problem] = field(default_factory=list, compare=False, repr=False)

    kind = "status"

    @property
    def header(self) -> StatusMessageHeader | None:
        env = self.envelope
        return env.header.message_header if env and env.header else None

    @property
    def signature(self) -> XmlFragment | None:
        env = self.envelope
        return env.header.signature if env and env.header else None


Message = DocumentMessage | StatusMessage

# Classes whose element adds nothing useful to a problem's path (the path starts below them).
PATHLESS: tuple[type[Node], ...] = (
    DocumentMessage,
    StatusMessage,
    Envelope,
    StatusEnvelope,
    Header,
    StatusHeader,
    Body,
)


def spec_of(f: Any) -> FieldSpec | None:
    spec = f.metadata.get("spec")
    return spec if isinstance(spec, FieldSpec) else None
