#!/usr/bin/env python3
"""A raw client of cordon's control socket, for tests that must misbehave
in ways `cordon ps` never does.

  ctl_client.py SOCKET send TEXT       send TEXT (Python escapes allowed),
                                       print the reply line
  ctl_client.py SOCKET drip TEXT SECS  send TEXT one byte every SECS
                                       seconds, print the reply line
                                       and the seconds it took
  ctl_client.py SOCKET connect N       open N connections, print the first
                                       reply line of each (or "-")

Exit status 0 when a reply arrived (each of them for connect), 1 otherwise.
"""
import socket
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    return s


def read_line(s):
    buf = b""
    try:
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    except (socket.timeout, OSError):
        pass
    return buf


def main():
    path, mode, arg = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "connect":
        socks = [connect(path) for _ in range(int(arg))]
        ok = True
        for s in socks:
            line = read_line(s)
            ok = ok and line.endswith(b"\n")
            print(line.decode("utf-8", "replace").strip() or "-")
        return 0 if ok else 1
    text = arg.encode("utf-8").decode("unicode_escape").encode("latin-1")
    s = connect(path)
    start = time.monotonic()
    if mode == "send":
        try:
            s.sendall(text)
        except OSError:
            pass  # answered and hung up on before the request was sent

    else:
        delay = float(sys.argv[4])
        try:
            for i in range(len(text)):
                s.sendall(text[i:i + 1])
                time.sleep(delay)
        except OSError:
            pass  # hung up on, as a slow client should be
    line = read_line(s)
    sys.stdout.write(line.decode("utf-8", "replace"))
    if mode == "drip":
        print("%.2f" % (time.monotonic() - start))
    return 0 if line.endswith(b"\n") else 1


sys.exit(main())
