"""Digital signatures: trust store, PAdES on PDF documents, XML-DSig on edXML packages, a demo PKI.

Where things are (imported from their modules, so that loading the problem catalogue does not
load pyHanko and signxml):

- ``trust``: ``load_trust_store(dir)`` → ``TrustStore`` (anchors, intermediates, CRLs; offline).
- ``pdf``: ``DocumentSigner`` (sign as a person or an agency, with the Decree 30 stamp);
  ``pdfverify``: ``PdfVerifier``.
- ``xmldsig``: ``PackageSigner`` and ``PackageSignatureVerifier`` (placeholders recognised).
- ``verify``: ``Verifier`` for whole files (a PDF, or a package with its PDFs and cross-checks).
- ``report``: ``SignatureReport`` and ``FileReport``, the frozen results.
- ``identity``: ``SignerIdentity``, what a certificate says about its holder.
- ``pki``: ``create_demo_pki`` (Government-CA-shaped, ``profiles``); ``credentials``:
  ``load_credential``; ``samples``: ``sample_pdf``.
- ``agencies``: ``AgencyDirectory``, ``load_directory``: which agency a certificate belongs to, and how.
- ``certcheck``: a certificate judged now, at the time-stamped or at the claimed time.
- ``xmlverify`` / ``xmlsign``: any signed XML (several enveloped signatures by Id, SigningTime).
- ``token``: PKCS#11 tokens (``open_token``); ``tsa_server``: a demo RFC 3161 server.
- ``problems``: the SIG.* codes.
"""
