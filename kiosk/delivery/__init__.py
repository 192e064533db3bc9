"""How a feed travels from the office to a display: the signed manifest, keys and trust, publish,
the fetch-and-install sync and the store on the display's disk."""
