"""What a display shows and when: which feed, the schedule, pages of long slides, FAQ search, QR
codes and the display's clock."""
