"""Comptoir: customer relationship platform centred on email."""
