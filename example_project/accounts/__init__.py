"""Customer accounts: profiles attached to the user model."""
