"""Pure game logic: rules, bots, the XOXO match handler. No pygame and no I/O here (but ``game.ui``)."""
