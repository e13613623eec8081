"""Runs Synapse (arguments: the homeserver's) as a child that ends with the tests.

Synapse does not notice when the test process that started it is gone. This wrapper does: it
waits for its stdin to close (the tests hold the other end) or for SIGTERM, then stops Synapse
and waits for it, so no homeserver outlives a test run.
"""
import signal
import subprocess
import sys
import threading

child = subprocess.Popen([sys.executable, "-m", "synapse.app.homeserver", *sys.argv[1:]])


def stop(*_):
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
threading.Thread(target=lambda: (sys.stdin.read(), stop()), daemon=True).start()
sys.exit(child.wait())
