"""As a new user would: `aprity-diagnose simulate`, then `check --json` with the two settings it prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from procs import free_port


def test_simulate_prints_what_check_needs(tmp_path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("APRITY_")}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "simulate", "--port", str(port), "--keys", str(tmp_path)],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
        settings = dict(part.split("=", 1) for part in lines[1].split(":", 1)[1].split())
        assert set(settings) == {"APRITY_SALESFORCE_SIMULATOR", "APRITY_CONNECTIONS"}, lines
        env.update(settings)
        deadline = time.monotonic() + 60
        results = {}
        for name in ("healthy", "sandbox-on-login"):
            run = subprocess.run([sys.executable, "-m", "bot", "check", "--connection", name, "--json"], env=env,
                                 capture_output=True, text=True, timeout=max(1.0, deadline - time.monotonic()))
            assert run.returncode in (0, 1), run.stderr
            results[name] = json.loads(run.stdout)
        assert results["healthy"]["ok"] is True and results["healthy"]["org_environment"] == "production"
        assert results["sandbox-on-login"]["org_environment"] == "sandbox"
        assert results["sandbox-on-login"]["connection"]["environment"] == "production"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
