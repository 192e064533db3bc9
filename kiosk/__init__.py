"""The ward kiosk's core: feed model and validation, scheduling, search, QR, sync, CLI.

Nothing here imports Kivy; the screens in `screens/` bind to what this package computes."""

__version__ = "0.1.0"
