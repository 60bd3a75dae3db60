"""Which bot scope each Web API method needs, and which ones the app's manifest grants.

The fake grants exactly the manifest's scopes unless a test says otherwise, so a method the bot
starts calling without adding its scope to manifest.json fails in tests with ``missing_scope``,
as it would in a real install.
"""

from __future__ import annotations

import json
from pathlib import Path

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.json"

# The bot scope each method needs. A method reading or listing a conversation needs the scope of
# that conversation's type (by its id's first letter here: D a DM, C public, G private).
_SCOPE_OF_METHOD: dict[str, str | None] = {
    "api.test": None,
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "chat.getPermalink": None,
    "conversations.open": "im:write",
    "users.info": "users:read",
    "views.open": None,
    "views.push": None,
    "views.update": None,
    "views.publish": None,
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}
_SCOPE_BY_CONVERSATION: dict[str, dict[str, str]] = {
    "conversations.history": {"D": "im:history", "C": "channels:history", "G": "groups:history"},
    "conversations.replies": {"D": "im:history", "C": "channels:history", "G": "groups:history"},
    "conversations.members": {"D": "im:read", "C": "channels:read", "G": "groups:read"},
}


def manifest_scopes(path: Path = MANIFEST) -> frozenset[str]:
    """The bot scopes an install of the app's manifest grants."""
    return frozenset(json.loads(path.read_text())["oauth_config"]["scopes"]["bot"])


def scope_needed(method: str, channel: str) -> str | None:
    """The scope `method` needs, for the conversation `channel` (a resolved id, or "") when that
    matters."""
    by_type = _SCOPE_BY_CONVERSATION.get(method)
    if by_type is None:
        return _SCOPE_OF_METHOD.get(method)
    return by_type.get(channel[:1]) if channel else None
