"""A small SMTP server on loopback, run in a thread, that keeps what it is sent."""
from __future__ import annotations

import base64
import email
import email.policy
import socketserver
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage


@dataclass
class Captured:
    mail_from: str = ""
    rcpt_to: list[str] = field(default_factory=list)
    data: bytes = b""
    login: tuple[str, str] | None = None

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]


class SmtpSink:
    def __init__(self, rcpt_answers: list[str] | None = None) -> None:
        self.rcpt_answers = list(rcpt_answers or [])  # e.g. "451 try later"; "250 ok" once empty
        self.messages: list[Captured] = []
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def __enter__(self) -> SmtpSink:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler(self) -> type[socketserver.StreamRequestHandler]:
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 sink ESMTP")
                current = Captured()
                while line := self.rfile.readline():
                    command = line.decode().strip()
                    verb = command.split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250-sink\r\n250-8BITMIME\r\n250 AUTH PLAIN")
                    elif verb == "AUTH":
                        _, user, password = base64.b64decode(command.split()[2]).decode().split("\0")
                        current.login = (user, password)
                        self.reply("235 accepted")
                    elif verb == "MAIL":
                        current.mail_from = command.partition(":")[2].strip()
                        self.reply("250 ok")
                    elif verb == "RCPT":
                        answer = sink.rcpt_answers.pop(0) if sink.rcpt_answers else "250 ok"
                        if answer.startswith("250"):
                            current.rcpt_to.append(command.partition(":")[2].strip())
                        self.reply(answer)
                    elif verb == "DATA":
                        self.reply("354 go on")
                        lines = []
                        while (data := self.rfile.readline()) not in (b".\r\n", b""):
                            lines.append(data[1:] if data.startswith(b"..") else data)
                        current.data = b"".join(lines)
                        sink.messages.append(current)
                        current = Captured(login=current.login)
                        self.reply("250 queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:  # RSET, NOOP
                        self.reply("250 ok")

        return Handler
