"""Tests of lienthong.monitor and the hub's monitoring."""
