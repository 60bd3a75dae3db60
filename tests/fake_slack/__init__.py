"""A local stand-in for the Slack Web API, for tests and benchmarks.

The bot under test talks to it through a real ``slack_sdk.WebClient(token=..., base_url=fake.url)``,
so the whole HTTP path (encoding, headers, status codes, Retry-After, error payloads) is exercised
instead of being mocked away.  Block Kit payloads are validated here independently of slack_sdk's
own model checks, with Slack's error codes and ``[ERROR] ... [json-pointer:...]`` messages, so a
payload that real Slack would refuse fails in tests too.

The package, by job: fake.py (the FakeSlack a test holds: lifecycle, controls, the checks every
call passes, the record of calls), server.py (HTTP), wire.py (decoding requests, error answers),
workspace.py and the method families chat.py, conversations.py, views.py, files.py, identity.py
(the Web API methods), composition.py, elements.py, charts.py, blocks.py and content.py (Block
Kit and payload limits), scopes.py, limits.py, triggers.py and injected.py (what Slack refuses
before a method runs, and failures a test queues).

Standard library only.  Request bodies are never printed or logged.
"""

from tests.fake_slack.fake import Call, FakeSlack
from tests.fake_slack.scopes import manifest_scopes

__all__ = ["Call", "FakeSlack", "manifest_scopes"]
