"""`make run`: the web server, a Celery worker and Celery beat in one terminal.

Each process's output is prefixed with its name; Ctrl-C (or any process
exiting) stops them all, so nothing is left running in the background.
"""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
HOST_PORT = os.environ.get("BROADSHEET_RUN_ADDRESS", "127.0.0.1:8000")

PROCESSES = {
    "web": [sys.executable, "manage.py", "runserver", HOST_PORT],
    "worker": [
        str(VENV_BIN / "celery"),
        "-A",
        "project",
        "worker",
        "-Q",
        "high,low",
        "-c",
        "2",
        "-l",
        "INFO",
    ],
    "beat": [
        str(VENV_BIN / "celery"),
        "-A",
        "project",
        "beat",
        "-l",
        "INFO",
        "-s",
        str(PROJECT_ROOT / ".services" / "celerybeat-schedule"),
    ],
}


def relay_output(name, process):
    prefix = f"{name:>6} | "
    for line in process.stdout:
        sys.stdout.write(prefix + line)
        sys.stdout.flush()


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.local")
    os.environ["PYTHONUNBUFFERED"] = "1"
    (PROJECT_ROOT / ".services").mkdir(exist_ok=True)
    running = {}
    for name, command in PROCESSES.items():
        running[name] = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=relay_output, args=(name, running[name]), daemon=True).start()
    print(f"Broadsheet is running at http://{HOST_PORT}/ (admin at /admin/). Ctrl-C stops everything.")

    finished = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: finished.set())
    signal.signal(signal.SIGTERM, lambda *_: finished.set())
    while not finished.wait(0.5):
        exited = [name for name, process in running.items() if process.poll() is not None]
        if exited:
            print(f"{', '.join(exited)} stopped; stopping the others.")
            break

    for process in running.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in running.values():
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
