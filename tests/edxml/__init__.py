"""Tests of lienthong.edxml: parser, writer, validation, builder, attachment content."""
