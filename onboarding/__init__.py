"""Onboarding: the invitation, sign-up and log-in journey of a B2B app, as an explicit workflow."""
