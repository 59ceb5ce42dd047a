"""Orders, their lines and shipments."""
