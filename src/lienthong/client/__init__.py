"""A typed client of the hub, for document systems that embed it and for the gateway's hub port.

Two implementations of one ``HubPort``: Lienthong's JSON API (``HubClient``) and the SDK protocol of
today's national hub (``SdkClient``), so an agency can point at either.
"""

from lienthong.client.models import (
    HubPort,
    HubRefused,
    HubUnavailable,
    InboxEntry,
    SendResult,
    SentEntry,
)

__all__ = ["HubPort", "HubRefused", "HubUnavailable", "InboxEntry", "SendResult", "SentEntry"]
