"""The app's seam to its OpenID Connect identity provider (Connect or any other): the
registration link it sends invitees to, and the account events it reports."""
