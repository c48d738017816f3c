"""A local SMTP sink for the embedded set-up: accepts every mail on loopback, keeps each
one as an .eml file and prints it, so that nobody needs an outside mail server to read
what Engage sends."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session


class MailSink:
    """aiosmtpd handler: store the message and tell `on_message` about it."""

    def __init__(self, directory: Path, on_message: Callable[[email.message.EmailMessage, Path], None] | None = None):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.on_message = on_message
        self.count = 0

    async def handle_DATA(self, server, session: Session, envelope: Envelope) -> str:
        self.count += 1
        path = self.directory / f"{datetime.now():%Y%m%d-%H%M%S}-{self.count:05d}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        if self.on_message is not None:
            message = email.message_from_bytes(
                envelope.original_content or envelope.content, policy=email.policy.default
            )
            self.on_message(message, path)
        return "250 Message accepted for delivery"


def start_sink(directory: Path, host: str = "127.0.0.1", port: int = 1025, on_message=None) -> Controller:
    controller = Controller(MailSink(directory, on_message), hostname=host, port=port)
    controller.start()
    return controller


def text_of(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""
