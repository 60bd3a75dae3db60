"""files.*: Slack's two-step upload (ask for an upload URL, send the bytes there, then complete)."""

from __future__ import annotations

from tests.fake_slack.wire import ApiError, Json
from tests.fake_slack.workspace import Workspace


class FileMethods(Workspace):
    url: str  # the fake's Web API base URL, where upload URLs are handed out too

    def _files_get_upload_url(self, args: Json) -> Json:
        filename = args.get("filename")
        if not filename:
            raise ApiError("invalid_arguments", ["[ERROR] missing required field: filename [json-pointer:/]"])
        try:
            length = int(args.get("length", ""))
        except (TypeError, ValueError):
            raise ApiError(
                "invalid_arguments", ["[ERROR] missing required field: length [json-pointer:/]"]
            ) from None
        file_id = f"F{self._next_number():08d}"
        self._pending_uploads[file_id] = {"filename": str(filename), "length": length, "content": None}
        return {"upload_url": self.url.replace("/api/", f"/upload/{file_id}"), "file_id": file_id}

    def _receive_upload(self, file_id: str, content: bytes) -> tuple[int, str]:
        """Step 2: the bytes POSTed to the URL files.getUploadURLExternal gave out."""
        pending = self._pending_uploads.get(file_id)
        if pending is None:
            return 404, "Not Found"
        pending["content"] = content
        return 200, f"OK - {len(content)}"

    def _files_complete_upload(self, args: Json) -> Json:
        files = args.get("files")
        if (
            not isinstance(files, list)
            or not files
            or not all(isinstance(f, dict) and f.get("id") for f in files)
        ):
            raise ApiError("invalid_arguments", ["[ERROR] missing required field: files [json-pointer:/]"])
        for entry in files:
            pending = self._pending_uploads.get(str(entry["id"]))
            if pending is None or pending["content"] is None:
                raise ApiError("file_not_found")
        channels = [c for c in str(args.get("channels") or "").split(",") if c]
        channel = args.get("channel_id") or (channels[0] if channels else None)
        completed = []
        for entry in files:
            pending = self._pending_uploads.pop(str(entry["id"]))
            record = {
                "id": entry["id"],
                "title": entry.get("title") or pending["filename"],
                "filename": pending["filename"],
                "content": pending["content"],
                "channel": channel,
                "initial_comment": args.get("initial_comment"),
                "thread_ts": args.get("thread_ts"),
            }
            self.files[entry["id"]] = record
            completed.append(
                {
                    "id": record["id"],
                    "title": record["title"],
                    "name": record["filename"],
                    "size": len(record["content"]),
                    "channels": [channel] if channel else [],
                }
            )
        return {"files": completed}
