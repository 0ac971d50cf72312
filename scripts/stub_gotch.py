#!/usr/bin/env python3
"""Stub gotch's generated libtorch wrappers that do not compile against this libtorch.

usage:
  stub_gotch.py torch_api_generated.cpp.h names.txt
      stub the wrappers listed in names.txt (one atg_ name per line, # comments)
  stub_gotch.py --discover LIBTCH_DIR OUT.txt -- CXX [CXXFLAGS...]
      compile LIBTCH_DIR/torch_api.cpp with -fsyntax-only, stub every generated wrapper that has
      a compile error, and repeat until it compiles; write the stubbed names to OUT.txt. An error
      outside the generated wrappers (torch_api.cpp, budgetrain_shim.cpp) is fatal.

Each stubbed wrapper keeps its signature; its body inside PROTECT(...) becomes a throw, so the Go
side returns an error naming the op if it is ever called ("atg_x is not available in this
libtorch"). The ops budgetrain uses are checked by its tests, which fail if one was stubbed.
"""
import os
import re
import subprocess
import sys

FUNC = re.compile(r"^[A-Za-z_][\w \t\*]*?\b(atg_\w+)\(", re.M)
GENERATED = "torch_api_generated.cpp.h"


def stub(path, names):
    """Replaces the PROTECT body of each wrapper in names; returns the names found."""
    src = open(path).read()
    out, done = [], set()
    pos = 0
    for m in FUNC.finditer(src):
        name = m.group(1)
        if name not in names or m.start() < pos:
            continue
        start = src.index("PROTECT(", m.end())
        depth, i = 0, start + len("PROTECT")
        while True:
            c = src[i]
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        out.append(src[pos:start])
        out.append('PROTECT(\n    throw std::invalid_argument("%s is not available in this libtorch");\n  )' % name)
        pos = i + 1
        done.add(name)
    out.append(src[pos:])
    open(path, "w").write("".join(out))
    return done


def wrapper_at(src_lines, line):
    """The name of the generated wrapper that contains 1-based line."""
    for i in range(min(line, len(src_lines)) - 1, -1, -1):
        m = FUNC.match(src_lines[i])
        if m:
            return m.group(1)
    return None


def discover(libtch, out_file, cxx):
    header = os.path.join(libtch, GENERATED)
    stubbed = set()
    for attempt in range(1, 7):
        p = subprocess.run(cxx + ["-fsyntax-only", "-fmax-errors=0", "torch_api.cpp"], cwd=libtch,
                           capture_output=True, text=True)
        errors = [l for l in p.stderr.splitlines() if ": error:" in l]
        if p.returncode == 0 and not errors:
            break
        lines = open(header).read().splitlines()
        bad, other = set(), []
        for e in errors:
            m = re.match(r"^(?:.*/)?" + re.escape(GENERATED) + r":(\d+):", e)
            name = wrapper_at(lines, int(m.group(1))) if m else None
            if name:
                bad.add(name)
            else:
                other.append(e)
        if other or not bad:
            sys.exit("stub_gotch: errors outside the generated wrappers:\n" + "\n".join((other or errors)[:20]))
        new = bad - stubbed
        if not new:
            sys.exit("stub_gotch: stubbed wrappers still do not compile:\n" + "\n".join(errors[:20]))
        stub(header, new)
        stubbed |= new
        print("stub_gotch: pass %d: stubbed %d wrappers" % (attempt, len(new)), file=sys.stderr)
    else:
        sys.exit("stub_gotch: still not compiling after 6 passes")
    with open(out_file, "w") as f:
        f.write("# gotch v0.9.1 wrappers stubbed by stub_gotch.py --discover (they do not compile against this libtorch)\n")
        for n in sorted(stubbed):
            f.write(n + "\n")
    print("stub_gotch: %d wrappers stubbed in all, listed in %s" % (len(stubbed), out_file), file=sys.stderr)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--discover":
        if len(sys.argv) < 6 or sys.argv[4] != "--":
            sys.exit(__doc__)
        discover(sys.argv[2], sys.argv[3], sys.argv[5:])
        return
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path, names_file = sys.argv[1], sys.argv[2]
    names = {l.strip() for l in open(names_file) if l.strip() and not l.startswith("#")}
    done = stub(path, names)
    missing = names - done
    if missing:
        print("stub_gotch: not found: " + ", ".join(sorted(missing)), file=sys.stderr)
    print("stub_gotch: stubbed %d wrappers" % len(done), file=sys.stderr)


if __name__ == "__main__":
    main()
