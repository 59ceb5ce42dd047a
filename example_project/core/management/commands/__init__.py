"""The bookshop's management commands: seed_demo."""
