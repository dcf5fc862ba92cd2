"""A small RFC 3161 time-stamping service over HTTP, for demos and tests on loopback.

The Government CA runs a TSA for its signers; this stands in for it with a demo TSA key
(``pki.tsa``): POST a DER ``TimeStampReq`` (``application/timestamp-query``), get a DER
``TimeStampResp`` (``application/timestamp-reply``). Never a real authority: its key is a demo key.
"""

from __future__ import annotations

from asn1crypto import tsp
from fastapi import FastAPI, Request, Response
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from lienthong.signing.credentials import Credential
from lienthong.signing.pdf import local_timestamper

QUERY, REPLY = "application/timestamp-query", "application/timestamp-reply"
MAX_QUERY = 16 * 1024  # a query is a digest and a few fields: anything larger is not one


def tsa_app(tsa: Credential) -> FastAPI:
    """An ASGI app answering time-stamp queries at ``/`` with the TSA credential's key."""
    stamper = local_timestamper(tsa)
    assert isinstance(stamper, DummyTimeStamper)
    app = FastAPI(title="Lienthong demo time-stamping authority", docs_url=None, redoc_url=None)

    @app.post("/")
    async def stamp(request: Request) -> Response:
        body = await request.body()
        if request.headers.get("content-type", "").split(";")[0].strip() != QUERY:
            return Response(f"expected {QUERY}\n", status_code=415, media_type="text/plain")
        try:
            if len(body) > MAX_QUERY:
                raise ValueError("too large")
            query = tsp.TimeStampReq.load(body)
            query.native  # noqa: B018  (asn1crypto parses lazily: force it to reject garbage here)
        except (ValueError, TypeError, KeyError) as exc:
            return Response(f"not a time-stamp query: {exc}\n", status_code=400, media_type="text/plain")
        answer = await stamper.async_request_tsa_response(query)
        return Response(answer.dump(), media_type=REPLY)

    return app
