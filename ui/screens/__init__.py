"""The client's screens: small classes on the App's stack (menu, board, notices)."""
