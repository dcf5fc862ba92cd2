"""Building edXML messages from plain data (a dict, TOML or JSON) and attachment files.

Field names are the model's (``organ_id``, ``code_number`` …; ``from`` for the sender). What the
standard derives is filled in when absent: the DocumentId, the sender's TraceHeader, the manifest,
ContentIds and content types. Unknown keys are refused, naming the key.
"""

from __future__ import annotations

import dataclasses
import io
import json
import tomllib
import zipfile
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lienthong.codes.dates import VIETNAM, format_date, format_timestamp
from lienthong.edxml.blob import AttachmentData, BytesData, FileData
from lienthong.edxml.mapping import schema
from lienthong.edxml.model import (
    Attachment,
    Body,
    Business,
    DocumentMessage,
    ElementList,
    Envelope,
    Header,
    Kind,
    Manifest,
    MessageHeader,
    Node,
    Organization,
    Reference,
    ResponseFor,
    StaffInfo,
    StatusEnvelope,
    StatusHeader,
    StatusMessage,
    StatusMessageHeader,
    TraceHeader,
    TraceHeaderList,
)
from lienthong.edxml.xmltools import XmlFragment

Clock = Callable[[], datetime]

# Formats the public client library embeds as they are (ContentType application/<ext>);
# anything else it zips first. Following it keeps packages readable by that client.
EMBEDDED_AS_IS = frozenset({"pdf", "doc", "docx", "xls", "xlsx", "zip"})


class BuildError(ValueError):
    """The metadata given to the builder is not usable; the message names the key."""


def vietnam_now() -> datetime:
    return datetime.now(VIETNAM)


def from_dict(cls: type[Node], data: Mapping[str, Any], where: str = "") -> Any:
    """Build a model object from a mapping keyed by field names."""
    if not isinstance(data, Mapping):
        raise BuildError(f"{where or cls.__name__}: expected a table of fields, got {type(data).__name__}")
    fields = dict(schema(cls))
    node = cls()
    for key, value in data.items():
        name = "from_" if key == "from" else key
        spec = fields.get(name)
        path = f"{where}.{key}" if where else key
        if spec is None:
            known = ", ".join(sorted("from" if f == "from_" else f for f in fields))
            raise BuildError(f"unknown field '{path}' (known here: {known})")
        if spec.kind is Kind.NODE:
            if spec.many:
                items = [
                    from_dict(spec.node_type, v, f"{path}[{i}]") for i, v in enumerate(_list(value, path))
                ]
                setattr(node, name, ElementList(items) if spec.wrapper else items)
            else:
                setattr(node, name, from_dict(spec.node_type, value, path))
        elif spec.kind is Kind.FRAGMENT:
            setattr(node, name, XmlFragment.from_string(str(value)))
        elif spec.kind is Kind.TEXT:
            if spec.many:
                texts = [_text(v, path) for v in _list(value, path)]
                setattr(node, name, ElementList(texts) if spec.wrapper else texts)
            else:
                setattr(node, name, _text(value, path))
        else:
            raise BuildError(f"'{path}' cannot be given as data")
    return node


def to_dict(node: Node) -> dict[str, Any]:
    """The plain-data form of a model object (the inverse of ``from_dict``; no attachment data)."""
    out: dict[str, Any] = {}
    for name, spec in schema(type(node)):
        value = getattr(node, name)
        key = "from" if name == "from_" else name
        if value is None or (spec.many and not value):
            continue
        if spec.kind is Kind.NODE:
            out[key] = [to_dict(v) for v in value] if spec.many else to_dict(value)
        elif spec.kind is Kind.FRAGMENT:
            out[key] = value.to_string()
        elif spec.kind is Kind.TEXT:
            out[key] = list(value) if spec.many else value
    return out


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise BuildError(f"'{path}' must be a list")
    return value


def _text(value: Any, path: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, (str, int)):
        return str(value)
    raise BuildError(f"'{path}' must be text, a number or a date, not {type(value).__name__}")


def load_metadata(path: Path) -> dict[str, Any]:
    """Read package metadata from a TOML or JSON file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BuildError(f"cannot read {path}: {exc.strerror}") from None
    try:
        is_json = path.suffix.lower() == ".json"
        data = json.loads(raw) if is_json else tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BuildError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise BuildError(f"{path}: the top level must be a table of fields")
    return data


def attachment_from_file(
    path: Path,
    *,
    name: str | None = None,
    description: str | None = None,
    content_type: str | None = None,
) -> Attachment:
    """An attachment for ``path``: embedded as is for the common formats, zipped otherwise."""
    path = Path(path)
    if not path.is_file():
        raise BuildError(f"attachment file not found: {path}")
    ext = path.suffix.lower().lstrip(".")
    data: AttachmentData
    if content_type is None and ext not in EMBEDDED_AS_IS:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(path, arcname=path.name)
        data, content_type = BytesData(buffer.getvalue()), "application/zip"
    else:
        data, content_type = FileData(path), content_type or f"application/{ext}"
    return Attachment(
        attachment_name=name or path.name,
        description=description or path.name,
        content_type=content_type,
        data=data,
    )


def attachment_from_bytes(
    name: str, content: bytes, content_type: str = "application/pdf", description: str | None = None
) -> Attachment:
    return Attachment(
        attachment_name=name,
        description=description or name,
        content_type=content_type,
        data=BytesData(content),
    )


def build_document(
    metadata: Mapping[str, Any],
    attachments: list[Attachment] | None = None,
    *,
    base_dir: Path | None = None,
    clock: Clock = vietnam_now,
) -> DocumentMessage:
    """A document message from metadata (model field names) and attachments.

    ``metadata`` may list attachments too (``attachments = [{path=…, name=…}]``, paths relative
    to ``base_dir``); ``trace_headers``, ``business`` and ``signature`` go where the standard puts
    them.
    """
    meta = dict(metadata)
    listed = meta.pop("attachments", [])
    trace_items = meta.pop("trace_headers", None)
    business = meta.pop("business", None)
    header: MessageHeader = from_dict(MessageHeader, meta)
    files = [
        attachment_from_file(
            (base_dir or Path.cwd()) / str(item["path"]),
            name=item.get("name"),
            description=item.get("description"),
            content_type=item.get("content_type"),
        )
        for item in _list(listed, "attachments")
    ]
    atts = files + list(attachments or [])
    _fill_content_ids(atts)

    if header.document_id is None:
        header.document_id = derive_document_id(header)
    trace = TraceHeaderList(
        trace_headers=[
            from_dict(TraceHeader, t, "trace_headers") for t in _list(trace_items, "trace_headers")
        ]
        if trace_items is not None
        else [
            TraceHeader(
                organ_id=header.from_.organ_id if header.from_ else None,
                timestamp=format_timestamp(clock()),
            )
        ],
        business=from_dict(Business, business, "business")
        if business is not None
        else Business(bussiness_doc_type="0", paper="0"),
    )
    manifest = Manifest(
        attrib={"version": "1.0"},
        references=[
            Reference(
                content_id=a.content_id,
                content_type=a.content_type,
                description=a.description,
                attachment_name=a.attachment_name,
            )
            for a in atts
        ],
    )
    return DocumentMessage(
        envelope=Envelope(
            header=Header(message_header=header, trace_header_list=trace),
            body=Body(manifest=manifest),
        ),
        attachments=ElementList(atts),
    )


def derive_document_id(header: MessageHeader) -> str | None:
    """``issuer,yyyy/MM/dd,number/notation`` from From, PromulgationDate and Code, if all known."""
    issuer = header.from_.organ_id if header.from_ else None
    day = header.promulgation_info.promulgation_date if header.promulgation_info else None
    code = header.code
    if not (issuer and day and code and code.code_number and code.code_notation):
        return None
    return f"{issuer},{day},{code.code_number}/{code.code_notation}"


def _fill_content_ids(atts: list[Attachment]) -> None:
    used = {a.content_id for a in atts if a.content_id}
    for index, att in enumerate(atts, start=1):
        if att.content_id:
            continue
        digest = att.data.info().sha256[:24] if att.data is not None else "empty"
        cid = f"cid:{index}-{digest}"
        while cid in used:
            cid += "x"
        att.content_id = cid
        used.add(cid)


def build_status(
    *,
    sender: Organization,
    document: DocumentMessage | ResponseFor,
    status_code: str,
    description: str,
    staff: StaffInfo | None = None,
    clock: Clock = vietnam_now,
) -> StatusMessage:
    """A status reply from ``sender`` about ``document`` (a parsed package or its reference)."""
    if isinstance(document, DocumentMessage):
        response_for = response_for_document(document)
    else:
        response_for = dataclasses.replace(document, layout=[])
    header = StatusMessageHeader(
        from_=sender,
        response_for=response_for,
        staff_info=staff,
        status_code=status_code,
        description=description,
        timestamp=format_timestamp(clock()),
    )
    return StatusMessage(envelope=StatusEnvelope(header=StatusHeader(message_header=header)))


def response_for_document(document: DocumentMessage) -> ResponseFor:
    """The ResponseFor block that names ``document`` in a reply, a recall or an update."""
    h = document.header
    code = h.code if h else None
    return ResponseFor(
        organ_id=h.from_.organ_id if h and h.from_ else None,
        code=f"{code.code_number}/{code.code_notation}" if code and code.code_number else None,
        promulgation_date=h.promulgation_info.promulgation_date if h and h.promulgation_info else None,
        document_id=h.document_id if h else None,
    )
