#!/usr/bin/env bash
# Print the path of a Python >= 3.12 interpreter, or fail with advice.
# Why so many places: on the project's machines `python3.12` is a pyenv shim whose
# global version is 3.11, so the bare name fails; pyenv must be asked for 3.12.x.
set -u
ok() { "$@" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
real() { "$@" -c 'import sys; print(sys.executable)'; }
if [ -n "${PYTHON:-}" ] && ok "$PYTHON"; then real "$PYTHON"; exit 0; fi
for cand in python3.12 python3.13 python3; do
  if command -v "$cand" >/dev/null 2>&1 && ok "$cand"; then real "$cand"; exit 0; fi
done
if command -v pyenv >/dev/null 2>&1; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9])(\.|$)' | sort -V); do
    p="$(pyenv prefix "$v" 2>/dev/null)/bin/python3"
    if [ -x "$p" ] && ok "$p"; then echo "$p"; exit 0; fi
  done
fi
echo "cadresim needs Python >= 3.12. Install one (e.g. 'pyenv install 3.12') or set PYTHON=/path/to/python3.12." >&2
exit 1
