"""HTTP interfaces: the SDK protocol of today's hub and Lienthong's own JSON API (thin edges)."""
