"""Pure game logic: rules, bots, the XOXO match handler and its payloads. No pygame, no asyncio, no I/O."""
