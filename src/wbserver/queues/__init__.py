"""BUCKET_QUEUE consumers, one module per scheme; message parsing in events.py."""
