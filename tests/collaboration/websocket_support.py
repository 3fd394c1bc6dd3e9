"""Channels' WebsocketCommunicator, without daphne.

`channels.testing` imports its live-server test case at package import, and that needs
daphne (and Twisted), which Comptoir does not use: uvicorn serves it. The WebSocket
communicator needs neither, so when daphne is missing the package is set up bare and the
communicator's own module is imported from it.
"""

import sys
import types
from pathlib import Path

import channels

try:
    from channels.testing import WebsocketCommunicator
except ModuleNotFoundError as missing:
    if missing.name is None or not missing.name.startswith("daphne"):
        raise
    sys.modules.pop("channels.testing", None)
    package = types.ModuleType("channels.testing")
    package.__path__ = [str(Path(channels.__file__).parent / "testing")]
    sys.modules["channels.testing"] = package
    from channels.testing.websocket import WebsocketCommunicator

__all__ = ["WebsocketCommunicator"]
