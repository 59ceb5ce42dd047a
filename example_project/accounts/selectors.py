"""Read-side queries for customers and their profiles.

Pairs as in catalog/selectors.py: the site loads a relation per row, its twin joins it in.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from accounts.models import Profile


def profile_emails() -> dict[str, str]:
    """The e-mail address behind each profile, by display name."""
    emails: dict[str, str] = {}
    for profile in Profile.objects.all():
        emails[profile.display_name] = profile.user.email  # site: S02
    return emails


def profile_emails_select_related() -> dict[str, str]:
    """The e-mail address behind each profile, with the users joined in."""
    emails: dict[str, str] = {}
    for profile in Profile.objects.select_related("user"):
        emails[profile.display_name] = profile.user.email  # twin: S02
    return emails


def customer_cities() -> dict[str, str]:
    """The city of each customer who has a profile, by username."""
    cities: dict[str, str] = {}
    for user in get_user_model().objects.filter(profile__isnull=False).order_by("username"):
        cities[user.username] = user.profile.city  # site: S03
    return cities


def customer_cities_select_related() -> dict[str, str]:
    """The city of each customer who has a profile, with the profiles joined in."""
    cities: dict[str, str] = {}
    for user in get_user_model().objects.filter(profile__isnull=False).select_related("profile").order_by("username"):
        cities[user.username] = user.profile.city  # twin: S03
    return cities
