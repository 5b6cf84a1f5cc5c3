#!/usr/bin/env python3
"""make test-docs: the commands the README and docs/ show, run as a reader would.

Every fenced shell block (```console, ```sh, ```bash) in README.md,
ARCHITECTURE.md and docs/*.md carries a mark on the line before it:

  <!-- runnable -->            run against the server the file's
                               `<!-- runnable: make run -->` block started
  <!-- runnable: make run --> `make run` itself, started with a port, database
                               and key of the check's own; its first lines
                               compared; it serves the file's later blocks
  <!-- runnable: K=V ... -->   a fresh server with these settings, for this block
  <!-- tested by PATH -->      run by another test (PATH, which must exist)
  <!-- example: WHY -->        not run: a real tenant's, a deployment's

An unmarked block fails the check, as does a block whose command fails or
whose output differs, and a relative link to a file or heading that is not
there. In a console block, `$ ` starts a command (a line
ending in `\\` continues it) and the lines after it are its expected output:
`…` stands for any text within a line, a line of `…` alone for any lines.
Without expected lines only the exit status counts. `127.0.0.1:8000` in a
command or an expectation is the server's real address.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(console|sh|bash|shell)\s*$")
MARK = re.compile(r"^<!-- (runnable(?::\s*(.*?))?|tested by (\S+)|example: .+?) -->$")
failures = []


def blocks(path):
    """(line number, language, mark or None, lines) of each shell block."""
    lines = path.read_text().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i
        j = i + 1
        while j < len(lines) and lines[j] != "```":
            j += 1
        before = next((lines[k] for k in range(start - 1, -1, -1) if lines[k].strip()), "")
        mark = MARK.match(before)
        yield start + 1, m.group(1), mark, lines[start + 1 : j]
        i = j + 1


def commands(lang, body):
    """[(command, [expected lines])]; a non-console block is one script."""
    if lang != "console":
        return [("\n".join(body), [])]
    out = []
    for line in body:
        if line.startswith("$ "):
            out.append([line[2:], []])
        elif out and out[-1][0].endswith("\\") and not out[-1][1]:
            out[-1][0] += "\n" + line
        elif out:
            out[-1][1].append(line)
    return [(c, e) for c, e in out]


def pattern(expected):
    parts = []
    for line in expected:
        if line == "…":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*".join(re.escape(p) for p in line.split("…")) + r"\n")
    return re.compile("".join(parts))


class Server:
    """`make run` (or todoapi serve) on a port, database and key of its own."""

    def __init__(self, settings, make_run):
        self.dir = tempfile.mkdtemp(prefix="todoapi-docs-")
        self.env = dict(os.environ)
        self.env.update({
            "APP_ENV": "development",
            "APP__SERVER__PORT": "0",
            "APP__DATABASE__URL": f"{self.dir}/todoapi.sqlite3",
            "APP__AUTH__DEV_ISSUER__KEY_PATH": f"{self.dir}/dev_issuer_key.pem",
            "RUST_LOG": "warn",
        })
        self.env.update(settings)
        argv = ["make", "--no-print-directory", "run"] if make_run else ["cargo", "run", "-q", "--bin", "todoapi", "--", "serve"]
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        self.lines = []
        self.assignments = []
        deadline = time.time() + 600
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the server exited before it listened")
            self.lines.append(line)
            found = re.search(r"todoapi is listening on http://(\S+)", line)
            if found:
                self.address = found.group(1)
                # The blocks' commands see the port the server took, as a
                # reader's see 8000: `todoapi token` names the issuer by it.
                self.env["APP__SERVER__PORT"] = self.address.rsplit(":", 1)[1]
                break
        # The banner's rest: what it prints until its last line.
        while self.lines[-1] and not self.lines[-1].startswith("curl "):
            self.lines.append(self.proc.stdout.readline())

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def run(where, server, cmds):
    marker = "@@todoapi-docs@@"
    # A block sees the variables earlier blocks of its file set (TOKEN=…),
    # as a reader's terminal does: their assignments run again first.
    script = ["set -o pipefail", *(f"{a} >/dev/null" for a in server.assignments)]
    for cmd, _ in cmds:
        script.append(cmd.replace("127.0.0.1:8000", server.address))
        # On a line of its own, whether or not the output ended one.
        script.append(f'printf "\\n{marker} %s\\n" $?')
    done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=ROOT, env=server.env,
                          capture_output=True, text=True, timeout=600)
    chunks = re.split(rf"\n{marker} (\d+)\n", "\n" + done.stdout)
    chunks[0] = chunks[0][1:]
    for n, (cmd, expected) in enumerate(cmds):
        if 2 * n + 1 >= len(chunks):
            failures.append(f"{where}: `{cmd}` never ran\n{done.stderr}")
            return
        output, status = chunks[2 * n], chunks[2 * n + 1]
        output = output + "\n" if output and not output.endswith("\n") else output
        if status != "0":
            failures.append(f"{where}: `{cmd}` exited {status}\n{output}{done.stderr}")
            return
        want = [e.replace("127.0.0.1:8000", server.address) for e in expected]
        if want and not pattern(want).fullmatch(output):
            failures.append(f"{where}: `{cmd}` printed\n{output}instead of\n" + "\n".join(want))
            return
        print(f"  ok  {where}: {cmd.splitlines()[0][:90]}")
    server.assignments += [c for c, _ in cmds if ASSIGNMENT.match(c)]


LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(path):
    """GitHub's anchors of a Markdown file's headings."""
    out = set()
    for line in path.read_text().split("\n"):
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            out.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return out


def links(path):
    """Every relative link names a file that exists (and a heading in it)."""
    rel = path.relative_to(ROOT)
    for target in LINK.findall(path.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        name, _, anchor = target.partition("#")
        file = (path.parent / name).resolve() if name else path
        if not file.exists():
            failures.append(f"{rel}: a link to {target}, which does not exist")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            failures.append(f"{rel}: a link to {target}, a heading {file.name} does not have")


def main():
    files = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", *sorted((ROOT / "docs").glob("*.md"))]
    for path in files:
        links(path)
    for path in files:
        rel = path.relative_to(ROOT)
        server = None
        try:
            for line, lang, mark, body in blocks(path):
                where = f"{rel}:{line}"
                if not mark:
                    failures.append(f"{where}: a shell block marked neither runnable, tested nor an example")
                    continue
                if mark.group(3):
                    if not (ROOT / mark.group(3)).exists():
                        failures.append(f"{where}: tested by {mark.group(3)}, which does not exist")
                    continue
                if not mark.group(1).startswith("runnable"):
                    continue
                settings = (mark.group(2) or "").strip()
                cmds = commands(lang, body)
                if settings == "make run":
                    server = Server({}, make_run=True)
                    want = [e.replace("127.0.0.1:8000", server.address) for e in cmds[0][1]]
                    printed = "".join(server.lines)
                    # A last line of `…` leaves the rest of the banner unchecked.
                    fits = pattern(want).match if want[-1] == "…" else pattern(want).fullmatch
                    if not fits(printed):
                        failures.append(f"{where}: make run printed\n{printed}instead of\n" + "\n".join(want))
                    else:
                        print(f"  ok  {where}: make run listens on {server.address}")
                elif settings:
                    fresh = Server(dict(kv.split("=", 1) for kv in settings.split()), make_run=False)
                    try:
                        run(where, fresh, cmds)
                    finally:
                        fresh.stop()
                elif server is None:
                    failures.append(f"{where}: runnable, but no `<!-- runnable: make run -->` block before it")
                else:
                    run(where, server, cmds)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            failures.append(f"{rel}: {e}")
        finally:
            if server:
                server.stop()
    for f in failures:
        print(f"  FAIL  {f}")
    if failures:
        sys.exit(1)
    print("docs: every command shown ran as shown")


if __name__ == "__main__":
    main()
