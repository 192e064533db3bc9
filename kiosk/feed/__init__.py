"""The feed as staff write it: reading the YAML safely, the typed model, validation in a clerk's
words, and what the media files are."""
