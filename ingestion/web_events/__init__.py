"""Website events from exports (Segment-style JSONL, or flat CSV such as a GA4 extract)
into ``raw_web_events``."""
