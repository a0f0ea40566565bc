"""The rehearsal's SMTP catcher: aiosmtpd's Maildir handler with two changes.

* It answers the end of each message only after a pause (DELAY seconds), and not at all while
  the file HOLD exists, so a worker can be caught in the middle of sending.
* It keeps a message only when it is about to answer 250. A client that goes away before
  that (a worker killed mid-send) leaves nothing behind, as with a real mail server, which
  must not deliver a message whose acceptance it could not report.

    python -m aiosmtpd -n -l 127.0.0.1:PORT -c catcher.SlowMailbox MAILDIR DELAY HOLD

(with this folder on PYTHONPATH). Each accepted message becomes one file in MAILDIR/new.
"""

import asyncio
import os
import sys

from aiosmtpd.handlers import Mailbox


class SlowMailbox(Mailbox):
    def __init__(self, mail_dir, delay, hold_file):
        super().__init__(mail_dir)
        self.delay = delay
        self.hold_file = hold_file

    async def handle_DATA(self, server, session, envelope):
        # a client that disconnects meanwhile cancels this coroutine: nothing is kept
        await asyncio.sleep(self.delay)
        while os.path.exists(self.hold_file):
            await asyncio.sleep(0.02)
        # let a disconnect that arrived meanwhile be processed before deciding
        await asyncio.sleep(0.05)
        if server.transport is None or server.transport.is_closing():
            return "421 connection lost before the message was accepted"
        self.handle_message(self.prepare_message(session, envelope))
        return "250 OK"

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 3:
            parser.error("expected MAILDIR DELAY HOLD")
        try:
            delay = float(args[1])
        except ValueError:
            parser.error(f"DELAY must be seconds, not {args[1]!r}")
        print(f"catcher: Maildir {args[0]}, {delay}s before each answer, held while {args[2]} exists",
              file=sys.stderr, flush=True)
        return cls(args[0], delay, args[2])
