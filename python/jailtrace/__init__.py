"""Client of ``jailtrace serve``: a sandbox per user behind an HTTP API.

    from jailtrace import Sandbox

    with Sandbox(user="alice", server="unix:/path/serve.sock", token="...") as sb:
        r = sb.run_code("print(6 * 7)")
        r.stdout        # "42\\n"

Standard library only. The API itself is described in docs/api.md of the
jailtrace tree.
"""

from .client import Files, JailtraceError, Ports, Process, Processes, Result, Sandbox

__all__ = ["Sandbox", "Result", "Files", "Process", "Processes", "Ports", "JailtraceError"]
__version__ = "0.1.0"
