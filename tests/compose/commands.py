"""Running a command of `make compose-test` and saying what happened."""

import subprocess
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Failure(Exception):
    pass


def say(message):
    print(f"compose-test: {message}", flush=True)


def run(command, *, check=True, capture=False, timeout=600, env=None, input_text=None):
    result = subprocess.run(
        command,
        check=False,
        text=True,
        capture_output=capture,
        timeout=timeout,
        env=env,
        input=input_text,
        cwd=PROJECT_ROOT,
    )
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout or "").strip().splitlines()[-5:] if capture else []
        raise Failure(
            f"`{' '.join(map(str, command[:6]))} ...` exited {result.returncode}: " + " | ".join(detail)
        )
    return result
