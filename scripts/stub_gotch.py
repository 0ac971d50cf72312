#!/usr/bin/env python3
"""Stub gotch's generated libtorch wrappers that do not compile against an older libtorch.

usage: stub_gotch.py torch_api_generated.cpp.h names.txt

Each listed wrapper keeps its signature; its body inside PROTECT(...) becomes a throw, so the Go
side returns an error if it is ever called. None of the stubbed ops is used for CNN training.
"""
import re
import sys


def main():
    path, names_file = sys.argv[1], sys.argv[2]
    names = {l.strip() for l in open(names_file) if l.strip() and not l.startswith("#")}
    src = open(path).read()
    out, done = [], set()
    pos = 0
    for m in re.finditer(r"^void (atg_\w+)\(", src, re.M):
        name = m.group(1)
        if name not in names:
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
    missing = names - done
    if missing:
        print("stub_gotch: not found: " + ", ".join(sorted(missing)), file=sys.stderr)
    print("stub_gotch: stubbed %d wrappers" % len(done), file=sys.stderr)


if __name__ == "__main__":
    main()
