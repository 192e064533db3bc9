"""The fleet link: displays report to the office, and the office asks them to sync, over the
ward's own MQTT broker (docs/fleet.md).

- topics: the topic names both sides use, and the one-message JSON codec.
- broker: a paho-mqtt client for a `mqtts://host:port` address (MQTT 5, TLS, an account).
- spool: reports kept on disk while the broker is out of reach, sent once, in order.
- display: the display's side (DisplayLink), run in its own threads; it reaches the app only
  through callbacks, so nothing here imports Kivy.
- office: what the office receives, behind a small storage adapter (SQLite here), and the
  residents' interest report.

Nothing on the link carries content: a display shows only what the signed feed brings."""
