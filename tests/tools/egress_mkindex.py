#!/usr/bin/python3
"""Makes a tiny package index for the egress tests: DIR/simple/index.html,
DIR/simple/NAME/index.html linking DIR/files/NAME-VERSION-py3-none-any.whl
(a hand-made wheel: one module, METADATA, WHEEL, RECORD), served by
egress_server.py --root DIR.

  egress_mkindex.py DIR NAME VERSION"""
import base64
import hashlib
import os
import sys
import zipfile

top, name, version = sys.argv[1:4]
mod = name.replace("-", "_")
dist = "%s-%s" % (mod, version)
whl = "%s-py3-none-any.whl" % dist
files = {
    "%s.py" % mod: "VALUE = 'jt-egress %s %s'\n" % (name, version),
    "%s.dist-info/METADATA" % dist:
        "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: jailtrace egress test\n" % (name, version),
    "%s.dist-info/WHEEL" % dist:
        "Wheel-Version: 1.0\nGenerator: jailtrace-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}


def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


record = "".join("%s,%s,%d\n" % (p, digest(c.encode()), len(c.encode())) for p, c in files.items())
record += "%s.dist-info/RECORD,,\n" % dist
files["%s.dist-info/RECORD" % dist] = record

os.makedirs(os.path.join(top, "files"), exist_ok=True)
os.makedirs(os.path.join(top, "simple", name), exist_ok=True)
path = os.path.join(top, "files", whl)
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
    for p, c in files.items():
        z.writestr(p, c)
sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
with open(os.path.join(top, "simple", "index.html"), "w") as f:
    f.write('<!DOCTYPE html>\n<html><body>\n<a href="%s/">%s</a>\n</body></html>\n' % (name, name))
with open(os.path.join(top, "simple", name, "index.html"), "w") as f:
    f.write('<!DOCTYPE html>\n<html><body>\n<a href="../../files/%s#sha256=%s">%s</a>\n</body></html>\n'
            % (whl, sha, whl))
print(whl)
