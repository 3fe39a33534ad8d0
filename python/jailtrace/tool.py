"""A function-calling tool, "run this code in the sandbox", for agent
frameworks: the definition to register as is, and the call's handler.

    from jailtrace import Sandbox
    from jailtrace.tool import TOOL, run_tool

    tools = [TOOL]                      # OpenAI-style {"type": "function", ...}
    # or [ANTHROPIC_TOOL] for Anthropic's Messages API
    ...
    reply = run_tool(sandbox, call_arguments)   # a str for the model

The result is compact JSON text: what the program printed (each stream cut
to its last MAX_OUTPUT characters), how it ended, and the denied requests
with what would grant each, so that the model can read why something
failed.
"""

import json

MAX_OUTPUT = 20000

_PARAMETERS = {
    "type": "object",
    "properties": {
        "language": {
            "type": "string",
            "enum": ["python", "bash"],
            "description": "The language of the code.",
        },
        "code": {
            "type": "string",
            "description": "The program to run. Files persist in /work between calls; "
                           "print what you need to see.",
        },
        "timeout": {
            "type": "number",
            "description": "Seconds before the program is stopped (default 60).",
        },
    },
    "required": ["language", "code"],
    "additionalProperties": False,
}

_DESCRIPTION = (
    "Run code in the user's sandbox (Linux, no network unless granted, "
    "writable /work, /tmp and home; limits on time, memory and processes). "
    "Returns stdout, stderr, the exit code, and any limit reached or access denied.")

#: OpenAI-style function tool (Chat Completions / Responses "tools" entry)
TOOL = {"type": "function",
        "function": {"name": "run_code", "description": _DESCRIPTION, "parameters": _PARAMETERS}}

#: Anthropic Messages API tool
ANTHROPIC_TOOL = {"name": "run_code", "description": _DESCRIPTION, "input_schema": _PARAMETERS}


def _tail(s):
    return s if len(s) <= MAX_OUTPUT else "[... %d characters cut ...]\n" % (len(s) - MAX_OUTPUT) + s[-MAX_OUTPUT:]


def run_tool(sandbox, arguments):
    """Run one tool call (its arguments as a dict or JSON text) in @sandbox;
    the text to hand back to the model."""
    if isinstance(arguments, (str, bytes)):
        arguments = json.loads(arguments)
    r = sandbox.run_code(arguments["code"], language=arguments.get("language", "python"),
                         timeout=arguments.get("timeout"))
    out = {"exit_code": r.exit_code, "stdout": _tail(r.stdout), "stderr": _tail(r.stderr)}
    if r.error:
        out["error"] = r.error
    if r.limit:
        out["limit"] = r.limit
    if r.denials:
        out["denied"] = [d["text"] for d in r.denials]
    return json.dumps(out, ensure_ascii=False)
