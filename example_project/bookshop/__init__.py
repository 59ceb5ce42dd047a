"""Project package of the bookshop example: settings, root URLs, WSGI and ASGI entry points."""
