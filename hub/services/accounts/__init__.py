"""Who calls and who signs in: members, credentials, request authentication, console accounts and sessions."""
