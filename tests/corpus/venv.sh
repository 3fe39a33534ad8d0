# A venv: its bin/python is a link to the read-only host interpreter, and
# runs as that file. (Its bin/pip is a script the program wrote: running it
# directly is refused by design, as on a noexec mount; python -m pip works.)
set -e
python3 -m venv --without-pip env
ls env/bin | sort
env/bin/python -c 'import sys; print(sys.prefix != sys.base_prefix, sys.executable.endswith("env/bin/python"))'
readlink env/bin/python3 | sed 's|.*/||'
. env/bin/activate
python -c 'import sys, os; print(os.path.basename(sys.prefix))'
deactivate
python3 -m venv --system-site-packages env2
env2/bin/python -c 'import json, sqlite3; print("site ok")'
env2/bin/python -m pip --version | cut -d' ' -f1
