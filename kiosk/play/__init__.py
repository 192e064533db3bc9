"""What a display shows and when: which feed, the schedule, the player's decisions, pages of long
slides, FAQ search, QR codes and the display's clock."""
