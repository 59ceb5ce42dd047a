"""The catalogue's read-only JSON API (Django REST framework), mounted at /api/."""
