"""Blob stores, one module per URI scheme. The local disk is the default."""
