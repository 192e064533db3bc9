"""The office console: staff edit, check, preview, approve and publish the feed in a web browser
(`kiosk office`). It uses kiosk/ for every check and for publishing; kiosk/ never imports it."""
