"""Validation of the query-string input that the catalogue's list pages accept."""

from __future__ import annotations

from django import forms

MAX_QUERY_LENGTH = 100


class BookFilterForm(forms.Form):
    """`?page=`, `?category=` and `?q=` of the book list; anything malformed makes the page answer 400."""

    page = forms.IntegerField(min_value=1, required=False)
    category = forms.IntegerField(min_value=1, required=False)
    q = forms.CharField(max_length=MAX_QUERY_LENGTH, required=False, strip=True)
