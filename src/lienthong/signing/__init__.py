"""Digital signatures: trust store, PAdES on PDF documents, XML-DSig on edXML packages, a demo PKI."""
