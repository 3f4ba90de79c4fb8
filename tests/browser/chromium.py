"""Headless Chromium driven over the DevTools protocol, standard library only.

Why the DevTools protocol and not ``--enable-logging=stderr`` with "CONSOLE" lines: the
protocol reports console calls, uncaught exceptions and the browser's own error log
(e.g. a resource that failed to load) as structured events with a level, and the same
channel clicks, reads the DOM and takes screenshots. The stderr log's format changes
between versions, is rate-limited and mixes in the browser's own noise (dbus, GPU).

Why a pipe (``--remote-debugging-pipe``: commands on fd 3, replies on fd 4, JSON
messages ending in a NUL byte) and not a websocket on ``--remote-debugging-port``:
no port to discover or collide with another test run, no websocket framing to write,
and nothing listens on the network.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
         "--remote-debugging-pipe")


TRAMPOLINE = """
import os, sys
commands, replies = int(sys.argv[1]), int(sys.argv[2])
os.dup2(commands, 3)
os.dup2(replies, 4)
os.close(commands)
os.close(replies)
os.execv(sys.argv[3], sys.argv[3:])
"""
"""Puts the pipe ends on fds 3 and 4 and becomes the browser. A shell cannot (dash takes
single-digit fds only) and preexec_fn is unsafe with threads."""


def _high_pipe() -> tuple[int, int]:
    """A pipe whose ends are numbered 10 or more, so moving them to 3 and 4 never
    overwrites the other end."""
    ends = os.pipe()
    high = tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in ends)
    for fd in ends:
        os.close(fd)
    return high[0], high[1]


def find_chromium() -> str | None:
    """$CNNSHAPE_CHROMIUM, else the first Chromium or Chrome on PATH, else None."""
    named = os.environ.get("CNNSHAPE_CHROMIUM")
    if named:
        return shutil.which(named)
    return next((path for path in map(shutil.which, CANDIDATES) if path), None)


class DevToolsError(RuntimeError):
    pass


class Browser:
    """One Chromium process with a fresh profile; close() ends it and its children."""

    def __init__(self, executable: str, timeout: float = 15.0) -> None:
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        self._buffer = bytearray()
        self._profile = tempfile.mkdtemp(prefix="cnnshape-chromium-")
        self._log = open(os.path.join(self._profile, "stderr.log"), "wb")
        commands_in, self._commands = _high_pipe()  # we write, the browser reads on fd 3
        self._replies, replies_out = _high_pipe()     # the browser writes on fd 4, we read
        self.process = subprocess.Popen(
            [sys.executable, "-c", TRAMPOLINE, str(commands_in), str(replies_out),
             executable, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log,
            pass_fds=(commands_in, replies_out), start_new_session=True)
        os.close(commands_in)
        os.close(replies_out)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stderr_tail(self) -> str:
        self._log.flush()
        with open(self._log.name, "rb") as log:
            return log.read()[-2000:].decode(errors="replace")

    # ------------------------------------------------------------ protocol

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._commands, data):]
        return self._next_id

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        """Send a command and wait for its reply; events that arrive meanwhile are kept."""
        ident = self.send(method, params, session)
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read(deadline)
            if message.get("id") == ident:
                if "error" in message:
                    raise DevToolsError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self._keep(message)

    def _keep(self, message: dict[str, Any]) -> None:
        """Store an event; dismiss a JavaScript dialog at once, or the page would hang."""
        if "method" not in message:
            return  # the reply to a command nobody waits for (Browser.close, dialogs)
        self.events.append(message)
        if message["method"] == "Page.javascriptDialogOpening":
            self.send("Page.handleJavaScriptDialog", {"accept": False},
                      message.get("sessionId"))

    def wait_event(self, method: str, session: str | None) -> dict[str, Any]:
        """The first event ``method`` of ``session`` not yet taken, waiting if needed."""
        deadline = time.monotonic() + self.timeout
        while True:
            for i, event in enumerate(self.events):
                if event["method"] == method and event.get("sessionId") == session:
                    return self.events.pop(i)
            self._keep(self._read(deadline))

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no reply from Chromium within {self.timeout} s:\n"
                                   + self.stderr_tail())
            ready, _, _ = select.select([self._replies], [], [], remaining)
            if ready:
                chunk = os.read(self._replies, 1 << 20)
                if not chunk:
                    raise DevToolsError("Chromium closed the pipe:\n" + self.stderr_tail())
                self._buffer += chunk
        end = self._buffer.index(b"\0")
        message: dict[str, Any] = json.loads(bytes(self._buffer[:end]))
        del self._buffer[:end + 1]
        return message

    # ------------------------------------------------------------ pages

    def new_page(self, width: int = 1280, height: int = 2000) -> Page:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(f"{domain}.enable")
        page.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        return page

    def close(self) -> None:
        """Ask the browser to quit, then kill what is left of its process group."""
        if self.process.poll() is None:
            try:
                self.send("Browser.close")
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # our own group: renderer, zygote
        except ProcessLookupError:
            pass
        self.process.wait(timeout=5)
        for fd in (self._commands, self._replies):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()
        shutil.rmtree(self._profile, ignore_errors=True)


class Page:
    """One tab, attached in flat mode: commands carry its session id."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.call(method, params, self.session)

    def navigate(self, url: str) -> None:
        """Load ``url`` and wait for its load event."""
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise DevToolsError(f"cannot load {url}: {result['errorText']}")
        self.browser.wait_event("Page.loadEventFired", self.session)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression; a thrown exception becomes DevToolsError."""
        result = self.call("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise DevToolsError(f"{expression!r} threw {text}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click (press and release) at the centre of the element."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        x, y = box
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1})

    def screenshot(self, x: float, y: float, width: float, height: float,
                   scale: float = 1.0) -> bytes:
        """PNG bytes of a page region (CSS pixels, page coordinates)."""
        clip = {"x": x, "y": y, "width": width, "height": height, "scale": scale}
        result = self.call("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                      "captureBeyondViewport": True})
        return base64.b64decode(result["data"])

    def _events(self, method: str) -> list[dict[str, Any]]:
        return [e["params"] for e in self.browser.events
                if e["method"] == method and e.get("sessionId") == self.session]

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions and browser error log entries."""
        found = []
        for params in self._events("Runtime.exceptionThrown"):
            details = params["exceptionDetails"]
            found.append("exception: " + (details.get("exception", {}).get("description")
                                          or details.get("text", "")))
        for params in self._events("Runtime.consoleAPICalled"):
            if params["type"] in ("error", "assert", "warning"):
                text = " ".join(str(a.get("value", a.get("description", "")))
                                for a in params["args"])
                found.append(f"console.{params['type']}: {text}")
        for params in self._events("Log.entryAdded"):
            entry = params["entry"]
            if entry["level"] == "error":
                found.append(f"log: {entry['text']} {entry.get('url', '')}".strip())
        return found

    def requests(self) -> list[str]:
        """Every URL the page asked the network stack for, in order."""
        return [p["request"]["url"] for p in self._events("Network.requestWillBeSent")]

    def dialogs(self) -> list[str]:
        """alert/confirm/prompt messages (an injected script would show here)."""
        return [p["message"] for p in self._events("Page.javascriptDialogOpening")]
