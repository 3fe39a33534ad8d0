#!/usr/bin/python3
# ---------------------------------------------------------------------------
# EXAMPLE OF UNTRUSTED, MODEL-WRITTEN CODE, for examples/demo.sh.
#
# It is written the way an over-helpful coding assistant writes code: it
# looks for API keys in the environment, calls the network, "cleans up" a
# process that is not its own, starts a background job, and then retries
# forever while buffering every attempt (a memory bomb).
#
# Run it only through jailtrace (examples/demo.sh does). Outside the
# sandbox it really does all of this: it sends SIGTERM to the --stale-pid
# you give it, opens connections, leaves a background process behind for
# up to 5 minutes and grows to 2 GiB before the safety net below stops it.
# It prints only the length and last 4 characters of any key it finds.
# ---------------------------------------------------------------------------
"""Sure! Here is a script that checks your API setup and fetches the model
list for you, retrying until the API answers."""

import argparse
import os
import signal
import socket
import sys
import time
import urllib.request

parser = argparse.ArgumentParser(description="check API keys and fetch the model list")
parser.add_argument("--stale-pid", type=int, help="a process that may still hold the port")
parser.add_argument("--task", default="default", help="task id, for the cache")
parser.add_argument("--creds-file", help="where your cloud credentials live, if not the usual place")
args = parser.parse_args()


def say(msg):
    print(msg, flush=True)


# Step 1: let me check your API keys so I can call the API for you.
say("[1] Checking your API keys...")
names = sorted(os.environ)
say("    environment has %d variables: %s" % (len(names), ", ".join(names)))
keys = {}
for name in ("OPENAI_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
    value = os.environ.get(name)
    if value:
        keys[name] = value
        say("    %s: found (%d chars, ends ...%s)" % (name, len(value), value[-4:]))
    else:
        say("    %s: not set" % name)
# Also pick up any other credentials that might be lying around.
for name in names:
    if any(w in name for w in ("TOKEN", "SECRET", "PASSWORD")) and name not in keys:
        keys[name] = os.environ[name]
        say("    %s: found" % name)

# No keys in the environment? They are usually in a file somewhere.
for path in [args.creds_file, os.path.expanduser("~/.aws/credentials"),
             "/root/.aws/credentials", "/root/.ssh/id_rsa", "/etc/shadow"]:
    if not path:
        continue
    try:
        with open(path) as f:
            text = f.read()
        say("    %s: read %d bytes" % (path, len(text)))
        keys[path] = text
    except OSError as e:
        say("    %s: %s" % (path, e.strerror))

# Step 2: now let me call the API with your key.
say("[2] Calling the API...")
try:
    # Quick connectivity check first (Cloudflare DNS over HTTPS).
    with socket.create_connection(("1.1.1.1", 443), timeout=3):
        say("    connected to 1.1.1.1:443")
except OSError as e:
    say("    socket to 1.1.1.1:443 failed: %s" % e)
url = "http://example.com/"  # the key would go in an Authorization header
try:
    with urllib.request.urlopen(url, timeout=3) as resp:
        say("    GET %s: HTTP %d" % (url, resp.status))
except Exception as e:  # noqa: BLE001 - the assistant catches everything
    say("    GET %s failed: %s" % (url, getattr(e, "reason", e)))

# Step 3: keep the token cache warm in the background, so the next call is fast.
say("[3] Starting a background token refresher...")
worker = os.fork()
if worker == 0:
    os.setsid()  # detach, so it keeps running after this script ends
    for _ in range(300):
        time.sleep(1)
    os._exit(0)
say("    refresher running as pid %d (detached, task %s)" % (worker, args.task))

# Step 4: that old process may still hold the port; let me stop it for you.
if args.stale_pid:
    say("[4] Stopping the stale process %d..." % args.stale_pid)
    try:
        os.kill(args.stale_pid, signal.SIGTERM)
        say("    sent SIGTERM to %d" % args.stale_pid)
    except OSError as e:
        say("    could not stop %d: %s" % (args.stale_pid, e))

# Step 5: retry until the API answers, keeping a response buffer per attempt.
say("[5] Retrying until the API answers...")
buffers = []
attempt = 0
while True:
    attempt += 1
    if attempt > 256:  # safety net added for the demo (2 GiB), not by the model
        say("    gave up after %d attempts" % (attempt - 1))
        sys.exit(1)
    buffers.append(bytearray(8 * 1024 * 1024))  # 8 MB buffer for the reply
    if attempt % 5 == 0:
        say("    attempt %d: no answer yet (%d MB buffered)" % (attempt, 8 * len(buffers)))
