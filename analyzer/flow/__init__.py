"""The flow analysis: evaluates functions abstractly to querysets, model instances and per-row events."""
