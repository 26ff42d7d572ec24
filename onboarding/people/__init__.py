"""People: organizations and their roles, the people in them, and who may administer what."""
