"""Digital signatures: trust store, PAdES on PDF documents, XML-DSig on edXML packages, a demo PKI.

Where things are (imported from their modules, so that loading the problem catalogue does not
load pyHanko and signxml):

- ``trust``: ``load_trust_store(dir)`` → ``TrustStore`` (anchors, intermediates, CRLs; offline).
- ``pdf``: ``DocumentSigner`` (sign as a person or an agency, with the Decree 30 stamp) and
  ``PdfVerifier``.
- ``xmldsig``: ``PackageSigner`` and ``PackageSignatureVerifier`` (placeholders recognised).
- ``verify``: ``Verifier`` for whole files (a PDF, or a package with its PDFs and cross-checks).
- ``report``: ``SignatureReport`` and ``FileReport``, the frozen results.
- ``identity``: ``SignerIdentity``, what a certificate says about its holder.
- ``pki``: ``create_demo_pki`` and ``load_credential``; ``samples``: ``sample_pdf``.
- ``problems``: the SIG.* codes.
"""
