"""Read raw files in a second process, one at a time, while the caller cleans the previous one.

:func:`analysis.ingest.readers.read_file` spends about half its time in Python (each row's
clean-up after python-calamine): in a thread it would share one core with the cleaning. Here a
child process (``python -m analysis.ingest.readproc``) reads each file it is sent and sends the
:class:`~analysis.ingest.readers.Workbook` back, pickled, through its standard output. A plain
child rather than :mod:`multiprocessing`: the caller's ``__main__`` (a notebook kernel, a user's
script without a ``__main__`` guard) is never imported again.
"""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import analysis

#: Each reply: its length, then the pickled (kind, value).
_LENGTH = struct.Struct("<Q")


class ReaderProcess:
    """A child process reading the files it is sent, in order (see the module docstring).

    ``submit(path)`` asks for a file; ``result()`` returns the oldest file asked for and not yet
    returned. Use as a context manager: the child is stopped on exit.
    """

    def __init__(self, raw_dir: Path):
        env = dict(os.environ)
        src = str(Path(analysis.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
        self._proc = subprocess.Popen([sys.executable, "-m", "analysis.ingest.readproc", str(raw_dir)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self._asked = 0
        self._raw_dir = Path(raw_dir)

    def submit(self, path: Path) -> None:
        pickle.dump(str(path), self._proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self._proc.stdin.flush()
        self._asked += 1

    def result(self):
        """The oldest file asked for and not yet returned, as a :class:`Workbook`."""
        return self.decode(self.receive())

    def receive(self) -> bytes:
        """The oldest reply not yet returned, as it came (:meth:`decode` turns it into the workbook):
        the caller may ask for the next file before decoding this one, so that both processes work."""
        if not self._asked:
            raise RuntimeError("no file asked for")
        self._asked -= 1
        head = self._proc.stdout.read(_LENGTH.size)
        data = self._proc.stdout.read(_LENGTH.unpack(head)[0]) if len(head) == _LENGTH.size else b""
        if not data:
            raise RuntimeError(f"le processus de lecture des classeurs s'est arrêté (code {self._proc.wait()})")
        return data

    def decode(self, data: bytes):
        kind, value = pickle.loads(data)
        if kind == "error":
            raise RuntimeError(f"lecture des classeurs : {value}")
        from analysis.ingest.readers import add_formula_cells

        return add_formula_cells(value, self._raw_dir)  # here: this process waits for the reading one

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                self._proc.stdin.close()
            except OSError:
                pass
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc.stdout.close()

    def __enter__(self) -> ReaderProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _serve(raw_dir: Path, requests, replies) -> None:
    from analysis.ingest.readers import read_file

    while True:
        try:
            path = pickle.load(requests)
        except EOFError:
            return
        try:
            reply = ("ok", read_file(Path(path), raw_dir, formulas=False))
        except Exception as exc:  # noqa: BLE001 - read_file does not raise for a bad file; say anything else
            reply = ("error", f"{path} : {type(exc).__name__} : {exc}")
        data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        del reply
        replies.write(_LENGTH.pack(len(data)))
        replies.write(data)
        replies.flush()


if __name__ == "__main__":
    # the replies' channel is the real standard output: anything printed (a library's notice) goes to
    # standard error instead, so that it cannot break the stream of pickles
    _replies = sys.stdout.buffer
    sys.stdout = sys.stderr
    _serve(Path(sys.argv[1]), sys.stdin.buffer, _replies)
