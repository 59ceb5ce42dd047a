"""Pieces shared by the bookshop's apps: abstract models, pagination, the back-office admin site, seed_demo."""
