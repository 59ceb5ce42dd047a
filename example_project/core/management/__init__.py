"""Management commands of the bookshop."""
