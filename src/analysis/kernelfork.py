"""Notebook kernels forked from one process that has already imported the libraries.

A notebook kernel spends most of its start importing: ipykernel, pandas, scipy, statsmodels,
matplotlib and the project's modules, about 1.4 s of one core per kernel, six kernels per run. A
run therefore starts one **kernel server** (:func:`server`) that imports them once and forks a
kernel for each notebook; the kernel is then ready in a few milliseconds, and the server's imports
share the second core with the cleaning instead of delaying every analysis.

How a kernel is started (Linux only; elsewhere, or when the server cannot be reached, the kernel
is started as usual with ``ipykernel_launcher``):

- papermill asks jupyter_client for a kernel; :func:`manager_class` replaces the kernel command
  ``python -m ipykernel_launcher -f <connection file> …`` by ``python -m analysis.kernelfork -f …``;
- that small **launcher** process connects to the server's socket (in a folder only this user can
  open; the server also checks the caller's user id) and sends its arguments, environment,
  working folder, its standard streams and two pipes;
- the server forks; the child takes the launcher's environment, folder and streams and runs the
  kernel with the launcher's arguments. The launcher stays in place of the kernel for
  jupyter_client: signals it receives go to the kernel, it exits when the kernel exits (the second
  pipe closes), and when the launcher is killed (papermill stops kernels at once after the last
  cell) the kernel sees the first pipe close and exits at once.

The same server runs a function for the cleaning in a forked process (:class:`ForkedCall`: the
biggest clean table is written there while the cleaning writes the others).

Environment variables a library reads **when it is imported** are read by the server, which is
started with the environment of the run's kernels (:data:`analysis.pipeline.SINGLE_THREAD_ENV`:
one BLAS thread); what a kernel's environment sets differently per notebook (which clean tables it
may read, the registry override) is read when used, after the fork.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys

#: Environment variable naming the server's socket for the launchers of the run's kernels.
SERVER_ENV = "PRR_KERNEL_SERVER"

#: Imported before the server takes any request: what every notebook, the cleaning first, needs.
PRELOAD_FIRST = (
    "ipykernel.kernelapp", "ipykernel.ipkernel", "IPython.display", "numpy", "pandas", "pyarrow",
    "pyarrow.parquet", "analysis.config", "analysis.cache", "analysis.metrics", "analysis.ingest.clean",
    "analysis.ingest.quality", "analysis.publish.linked", "analysis.ingest.readproc", "analysis.ingest.runsummary",
    # pandera's checks, imported at the first validation (they import hypothesis and its plugins: 0.45 s)
    "pandera.backends.pandas.builtin_checks", "scipy.optimize", "xlsxwriter",
)
#: Imported between requests (a kernel forked before they are in still imports them itself).
PRELOAD_THEN = (
    "scipy.stats", "matplotlib", "analysis.publish.figures", "statsmodels.api",
    "statsmodels.duration.survfunc", "analysis.analyses.activities", "analysis.analyses.referrals",
    "analysis.analyses.saturation", "analysis.analyses.gradient", "analysis.analyses.evolution",
    "analysis.publish.activities", "analysis.publish.referrals", "analysis.publish.saturation",
    "analysis.publish.gradient", "analysis.publish.evolution",
)

_STREAMS = 3  # the launcher's stdin, stdout and stderr, then its two pipes
_CALL_FDS = 3  # a call's standard error, the pipe it reads its job from, the pipe it answers on


def available() -> bool:
    """Whether kernels can be forked here (``fork`` and Unix sockets that carry file descriptors)."""
    return sys.platform.startswith("linux") and hasattr(socket, "send_fds")


# --------------------------------------------------------------------------------------------------
# The server (run by :func:`server` as ``python -m analysis.kernelfork --serve <socket>``)


def _serve(path: str) -> None:
    import importlib
    import select

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(16)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked kernels are reaped by the system
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's, which stops the server
    for name in PRELOAD_FIRST:
        _preload(importlib, name)
    pending = list(PRELOAD_THEN)
    while True:
        ready, _, _ = select.select([listener], [], [], 0 if pending else None)
        if ready:
            conn, _ = listener.accept()
            _fork_kernel(conn, listener)
        elif pending:
            _preload(importlib, pending.pop(0))


def _preload(importlib, name: str) -> None:
    try:
        importlib.import_module(name)
    except Exception:  # noqa: BLE001 - a kernel that needs it will import it, and report its error
        pass


def _fork_kernel(conn: socket.socket, listener: socket.socket) -> int:
    """Fork a kernel for the launcher on ``conn``; in the server, returns the child's pid (-1 when
    the request could not be served: the launcher then starts the kernel itself)."""
    fds: list[int] = []
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        uid = int.from_bytes(creds[4:8], sys.byteorder)
        msg, fds, _, _ = socket.recv_fds(conn, 1 << 20, _STREAMS + 2)
        request = json.loads(msg.decode("utf-8"))
        if uid != os.getuid() or len(fds) != (_CALL_FDS if request.get("call") else _STREAMS + 2):
            raise PermissionError("request refused")
        pid = os.fork()
    except Exception:  # noqa: BLE001 - the launcher falls back on an ordinary kernel
        for fd in fds:
            os.close(fd)
        conn.close()
        return -1
    if pid == 0:
        conn.close()
        listener.close()
        (_run_call if request.get("call") else _run_kernel)(request, fds)  # does not return
    for fd in fds:
        os.close(fd)
    try:
        conn.send(str(pid).encode())
    except OSError:
        pass
    conn.close()
    return pid


def _run_kernel(request: dict, fds: list[int]) -> None:
    """In the forked child: become the launcher's kernel, then exit."""
    import threading

    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the kernel waits for its own children
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setsid()
        *streams, life, done = fds
        for target, fd in enumerate(streams):
            os.dup2(fd, target)
            os.close(fd)
        os.set_inheritable(life, False)
        os.set_inheritable(done, False)  # held until this process ends: the launcher then exits
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        threading.Thread(target=_exit_with_launcher, args=(life,), daemon=True).start()
        sys.argv = [sys.executable, *request["argv"]]
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=request["argv"])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _run_call(request: dict, fds: list[int]) -> None:
    """In the forked child: run the function the caller sent (:class:`ForkedCall`), send back its
    result or its error, then exit."""
    import pickle
    import traceback

    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        err, job, reply = fds
        os.dup2(err, 2)
        os.close(err)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        try:
            with os.fdopen(job, "rb") as f:
                func, args, kwargs = pickle.load(f)
            out = ("ok", func(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - sent back to the caller, which raises it
            out = ("error", f"{type(exc).__name__} : {exc}\n{traceback.format_exc()}")
        with os.fdopen(reply, "wb") as f:
            pickle.dump(out, f, protocol=pickle.HIGHEST_PROTOCOL)
        code = 0
    finally:
        os._exit(code)


def _exit_with_launcher(life: int) -> None:
    """Exit the kernel at once when its launcher is gone (its end of the pipe closes)."""
    while True:
        try:
            if not os.read(life, 1):
                break
        except OSError:
            break
    os._exit(0)


class server:  # noqa: N801 - used as a context manager, like open()
    """Context manager: a kernel server for the run's kernels, started by :meth:`start` (when a
    step is about to run) and stopped on exit.

    ``env`` is the server's environment (that of the kernels, read by libraries at import). While
    it is running, :data:`SERVER_ENV` names its socket in ``os.environ`` (inherited by the
    processes that start kernels); nothing happens where :func:`available` is false or when
    :data:`SERVER_ENV` is ``off`` in the environment (every kernel then imports for itself).
    """

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.process = None
        self.folder: str | None = None
        self._before: str | None = None

    def __enter__(self) -> server:
        return self

    def start(self) -> None:
        if self.process is not None or not available() or os.environ.get(SERVER_ENV) == "off":
            return
        import subprocess
        import tempfile

        try:
            self.folder = tempfile.mkdtemp(prefix="prr-kernels-")  # mode 0700: only this user connects
            path = os.path.join(self.folder, "socket")
            self.process = subprocess.Popen(
                [sys.executable, "-m", "analysis.kernelfork", "--serve", path], env={**self.env, SERVER_ENV: path},
                stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError:  # no temporary folder, no process: every kernel imports for itself
            if self.folder is not None:
                import shutil

                shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = self.process = None
            return
        # the socket is bound before any import (a few hundredths of a second): wait for it, so that no
        # kernel asks before it is there (it would be started the ordinary way)
        import time

        deadline = time.monotonic() + 10
        while not os.path.exists(path) and self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        self._before = os.environ.get(SERVER_ENV)
        os.environ[SERVER_ENV] = path

    def __exit__(self, *exc) -> None:
        if self.process is None:
            return
        import shutil

        if self._before is None:
            os.environ.pop(SERVER_ENV, None)
        else:
            os.environ[SERVER_ENV] = self._before
        self.process.kill()
        self.process.wait()
        self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)


def in_use() -> bool:
    """Whether kernels started from this process go through a kernel server."""
    return os.environ.get(SERVER_ENV, "off") != "off"


class ForkedCall:
    """``func(*args, **kwargs)`` run in a process forked from the kernel server (its libraries are
    already imported: it starts in milliseconds), while the caller goes on; :meth:`result` waits
    for it. ``func`` and the arguments are pickled (a module-level function). Without a server, or
    when the server cannot take it, the call runs in the caller, at :meth:`result`."""

    def __init__(self, func, *args, **kwargs):
        import pickle

        self._job = (func, args, kwargs)
        self._reply = None
        if not in_use():
            return
        job_r, job_w = os.pipe()
        reply_r, reply_w = os.pipe()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as conn:
                conn.connect(os.environ[SERVER_ENV])
                request = {"call": True, "env": dict(os.environ), "cwd": os.getcwd()}
                socket.send_fds(conn, [json.dumps(request).encode("utf-8")], [2, job_r, reply_w])
                answer = conn.recv(64)
            if not answer:
                raise OSError("no process forked")
            os.close(job_r)
            os.close(reply_w)
            job_r = reply_w = None
            with os.fdopen(job_w, "wb") as f:
                job_w = None
                pickle.dump(self._job, f, protocol=pickle.HIGHEST_PROTOCOL)
            self._reply, reply_r = reply_r, None
        except (OSError, ValueError, pickle.PicklingError):
            pass  # run here, at result()
        finally:
            for fd in (job_r, job_w, reply_r, reply_w):
                if fd is not None:
                    os.close(fd)

    @property
    def forked(self) -> bool:
        return self._reply is not None

    def result(self):
        import pickle

        if self._reply is None:
            func, args, kwargs = self._job
            return func(*args, **kwargs)
        with os.fdopen(self._reply, "rb") as f:
            self._reply = None
            data = f.read()
        if not data:
            raise RuntimeError("le processus chargé d'un calcul s'est arrêté sans réponse")
        kind, value = pickle.loads(data)
        if kind == "error":
            raise RuntimeError(f"calcul dans un processus séparé : {value}")
        return value


def manager_class():
    """jupyter_client's kernel manager whose kernels are started by the launcher of this module
    (through the server named by :data:`SERVER_ENV`)."""
    from jupyter_client.manager import AsyncKernelManager

    class ForkedKernelManager(AsyncKernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            cmd = super().format_kernel_cmd(extra_arguments)
            if len(cmd) > 2 and cmd[1:3] == ["-m", "ipykernel_launcher"]:
                cmd = [sys.executable, "-m", "analysis.kernelfork", *cmd[3:]]
            return cmd

    return ForkedKernelManager


# --------------------------------------------------------------------------------------------------
# The launcher (``python -m analysis.kernelfork -f <connection file> …``)


def _launch(args: list[str]) -> None:
    """Have the server fork a kernel with ``args``, stand in for it until it exits; without a
    server, become an ordinary kernel."""
    path = os.environ.get(SERVER_ENV, "")
    life_r, life_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as conn:
            conn.connect(path)
            request = {"argv": args, "env": dict(os.environ), "cwd": os.getcwd()}
            socket.send_fds(conn, [json.dumps(request).encode("utf-8")], [0, 1, 2, life_r, done_w])
            answer = conn.recv(64)
            pid = int(answer) if answer else None
    except (OSError, ValueError):
        pid = None
    os.close(life_r)
    os.close(done_w)
    if pid is None:
        os.close(life_w)
        os.close(done_r)
        os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *args])

    def forward(signum, _frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, forward)
    while os.read(done_r, 1):  # returns b"" when the kernel has exited
        pass
    sys.exit(0)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        _serve(sys.argv[2])
    else:
        _launch(sys.argv[1:])
