"""The rules, pure: availability and backorders, configurations, money, image checks and the
order wording. Nothing here knows the web or the database, and nothing here imports from the
rest of the project."""
