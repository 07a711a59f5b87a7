"""File uploads the way ``WebClient.files_upload_v2`` makes them, in three steps.

1. ``files.getUploadURLExternal`` reserves a file id and hands out an upload URL;
2. the client POSTs the raw bytes to that URL (no token: the URL is the credential);
3. ``files.completeUploadExternal`` shares the uploaded files in a channel (or a
   thread), as one message carrying the files and the ``initial_comment``.

Mixed into :class:`bot.playground.slack_stub.SlackStub`; handlers run with its lock held.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from bot.playground.slack_methods import BOT_USER_ID, TEAM_ID, ApiError, Msg, _require

MAX_FILE_BYTES = 1_000_000_000  # Slack's limit is 1 GB; a larger announced length is refused


class SlackFiles:
    """``files.*`` handlers over the stub's state (``_files``, ``_messages``)."""

    team_domain: str
    port: int
    _files: dict[str, dict[str, Any]]
    _messages: dict[str, dict[str, Msg]]
    _seq: int
    _lock: threading.Lock
    _new_ts: Callable[[], str]  # SlackMethods'

    def _m_files_getUploadURLExternal(self, a: dict) -> dict:  # noqa: N802
        filename = _require(a, "filename")
        try:
            length = int(a.get("length") or 0)
        except ValueError:
            raise ApiError("invalid_arguments") from None
        if not 0 < length <= MAX_FILE_BYTES:
            raise ApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] length must be 1..1GB"]})
        self._seq += 1
        file_id = f"F{self._seq:08d}"
        self._files[file_id] = {"id": file_id, "name": filename, "title": filename, "length": length,
                                "alt_txt": a.get("alt_txt"), "content": None, "shared": False}
        return {"upload_url": f"http://127.0.0.1:{self.port}/upload/v1/{file_id}", "file_id": file_id}

    def _receive_upload(self, file_id: str, data: bytes) -> bool:
        f = self._files.get(file_id)
        if f is None or f["shared"]:
            return False
        f["content"] = bytes(data)
        return True

    def _m_files_completeUploadExternal(self, a: dict) -> dict:  # noqa: N802
        files = a.get("files")
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except ValueError:
                raise ApiError("invalid_arguments") from None
        if not isinstance(files, list) or not files:
            raise ApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] missing files"]})
        thread_ts = a.get("thread_ts") or None
        if thread_ts and thread_ts not in self._messages.get(str(a.get("channel_id") or ""), {}):
            raise ApiError("invalid_thread_ts")  # a thread is an existing message of that channel
        done = []
        for item in files:
            f = self._files.get(str((item or {}).get("id")))
            if f is None or f["shared"]:
                raise ApiError("file_not_found")
            if f["content"] is None:
                raise ApiError("file_upload_not_complete")  # step 2 skipped
            if len(f["content"]) != f["length"]:
                raise ApiError("file_upload_size_mismatch")
            f["title"] = (item or {}).get("title") or f["name"]
            done.append(f)
        channel = a.get("channel_id") or (str(a.get("channels") or "").split(",")[0] or None)
        for f in done:
            f.update(shared=True, channel=channel, thread_ts=a.get("thread_ts") or None,
                     initial_comment=str(a.get("initial_comment") or ""))
        public = [self._file_object(f) for f in done]
        if channel:
            ts = self._new_ts()
            text = str(a.get("initial_comment") or "")
            msg = Msg(channel, ts, text, None, a.get("thread_ts") or None, extra={"files": public, "upload": True})
            self._messages[channel][ts] = msg
            for p in public:
                p["shares"] = {"public": {channel: [{"ts": ts, "thread_ts": a.get("thread_ts")}]}}
        return {"files": public}

    def _m_files_info(self, a: dict) -> dict:
        f = self._files.get(_require(a, "file"))
        if f is None or not f["shared"]:
            raise ApiError("file_not_found")
        return {"file": self._file_object(f)}

    def _file_object(self, f: dict[str, Any]) -> dict[str, Any]:
        return {"id": f["id"], "name": f["name"], "title": f["title"], "size": f["length"],
                "mimetype": _mimetype(f["name"]), "filetype": f["name"].rsplit(".", 1)[-1].lower(),
                "url_private": f"https://files.slack.com/files-pri/{TEAM_ID}-{f['id']}/{f['name']}",
                "permalink": f"https://{self.team_domain}.slack.com/files/{BOT_USER_ID}/{f['id']}/{f['name']}"}

    def files(self) -> list[dict[str, Any]]:
        """Every file reserved so far, in upload order, with its bytes, channel and thread once shared."""
        with self._lock:
            return [dict(f) for f in self._files.values()]

    def uploads(self) -> list[dict[str, Any]]:
        """Files shared through files upload v2, in upload order, with bytes, channel, thread and comment."""
        with self._lock:
            return [{**f, "filename": f["name"]} for f in self._files.values() if f["shared"]]

    def file_content(self, file_id: str) -> tuple[dict[str, Any], bytes] | None:
        """A shared file's description and bytes (the playground page offers them for download)."""
        with self._lock:
            f = self._files.get(file_id)
            if f is None or not f["shared"] or f["content"] is None:
                return None
            return self._file_object(f), f["content"]


def _mimetype(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower()
    return {"crt": "application/x-x509-ca-cert", "cer": "application/x-x509-ca-cert", "pem": "application/x-pem-file",
            "txt": "text/plain", "json": "application/json", "png": "image/png"}.get(ext, "application/octet-stream")
