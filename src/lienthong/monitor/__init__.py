"""Monitoring shared by hub and gateway: health checks, metrics, certificate expiry, connectivity, alerts."""
