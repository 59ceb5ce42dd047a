"""The catalogue: books, authors, publishers, tags, reviews and comments, with their pages, API and admin."""
