"""Running a display for months: health for systemd and staff, metrics, and the anonymous usage and
proof-of-play logs."""
