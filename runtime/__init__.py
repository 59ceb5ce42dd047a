"""Runtime N+1 detection for Django: middleware, pytest plugin and report."""
