#!/usr/bin/env python3
"""Capture linphone's answers to heron's offers (tests/data/heron-offer-*.sdp).

Not run by CI: the saved captures (linphone-5.1.65-answer-*.sdp) are what the
tests read. Run it by hand on a machine with Debian's linphone-cli 5.1:

    python3 crates/sdp/tests/data/capture-linphone-answers.py

For each case it starts linphonec with auto-answer, a private writable HOME
(without one the core never starts) and a pipe on stdin that stays open
(linphonec quits on EOF), sends one INVITE carrying our offer over loopback UDP, saves the SDP of
the 200 OK byte for byte, then ACKs and hangs up with BYE.
"""

import os
import random
import socket
import subprocess
import sys
import tempfile
import time

DATA = os.path.dirname(os.path.abspath(__file__))
VERSION = "5.1.65"
LINPHONE_PORT = 25070
OUR_PORT = 25080

# (offer/answer file suffix, linphone media_encryption, mandatory)
CASES = [
    ("plain", "none", 0),
    ("sdes", "srtp", 1),
    ("best-effort", "srtp", 0),
    ("dtls", "dtls", 1),
]

RC = """[sip]
sip_port={port}
sip_tcp_port=0
sip_tls_port=0
default_proxy=-1
media_encryption={encryption}
media_encryption_mandatory={mandatory}

[rtp]
audio_rtp_port=7078

[sound]
echocancellation=0
"""


def token(n=10):
    return "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))


def parse(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    return lines[0], headers, body


def request(method, uri, call_id, from_tag, to, cseq, body=b"", extra=""):
    head = (
        f"{method} {uri} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{OUR_PORT};branch=z9hG4bK{token()};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:heron@127.0.0.1>;tag={from_tag}\r\n"
        f"To: {to}\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq} {method}\r\n"
        f"Contact: <sip:heron@127.0.0.1:{OUR_PORT}>\r\n"
        "User-Agent: heron-sdp capture script\r\n"
        f"{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def wait_until_listening(sock):
    """OPTIONS until linphonec answers (its core takes a moment to start)."""
    target = ("127.0.0.1", LINPHONE_PORT)
    for _ in range(40):
        sock.sendto(
            request("OPTIONS", f"sip:127.0.0.1:{LINPHONE_PORT}", token(), token(),
                    f"<sip:127.0.0.1:{LINPHONE_PORT}>", 1),
            target,
        )
        try:
            sock.recvfrom(65535)
            return
        except socket.timeout:
            continue
    sys.exit("linphonec did not start listening")


def capture(suffix, encryption, mandatory):
    with open(os.path.join(DATA, f"heron-offer-{suffix}.sdp"), "rb") as f:
        offer = f.read()
    home = tempfile.mkdtemp(prefix="linphone-home-")
    os.makedirs(os.path.join(home, ".local/share/linphone"))
    rc = os.path.join(home, "linphonerc")
    with open(rc, "w") as f:
        f.write(RC.format(port=LINPHONE_PORT, encryption=encryption, mandatory=mandatory))
    env = dict(os.environ, HOME=home)
    proc = subprocess.Popen(
        ["linphonec", "-c", rc, "-a", "-d", "0"],
        # Commands go through a pipe we keep open: linphonec quits on EOF.
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", OUR_PORT))
    sock.settimeout(0.5)
    try:
        wait_until_listening(sock)
        call_id = f"{token()}@127.0.0.1"
        from_tag = token()
        uri = f"sip:linphone@127.0.0.1:{LINPHONE_PORT}"
        invite = request("INVITE", uri, call_id, from_tag, f"<{uri}>", 1, offer,
                         "Content-Type: application/sdp\r\n")
        target = ("127.0.0.1", LINPHONE_PORT)
        sock.sendto(invite, target)
        deadline = time.time() + 20
        final = None
        while time.time() < deadline:
            try:
                data, _ = sock.recvfrom(65535)
            except socket.timeout:
                continue
            status, headers, body = parse(data)
            if headers.get("call-id") != call_id or not headers.get("cseq", "").endswith("INVITE"):
                continue
            code = int(status.split()[1])
            print(f"{suffix}: {status}")
            if code >= 200:
                final = (code, headers, body)
                break
        if final is None:
            sys.exit(f"{suffix}: no final response")
        code, headers, body = final
        to = headers["to"]
        contact = headers.get("contact", f"<{uri}>").split(";")[0].strip("<>")
        sock.sendto(request("ACK", contact, call_id, from_tag, to, 1), target)
        if code != 200:
            print(f"{suffix}: answered {code}, nothing saved")
            return
        out = os.path.join(DATA, f"linphone-{VERSION}-answer-{suffix}.sdp")
        with open(out, "wb") as f:
            f.write(body)
        print(f"{suffix}: saved {out}")
        sock.sendto(request("BYE", contact, call_id, from_tag, to, 2), target)
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                data, _ = sock.recvfrom(65535)
            except socket.timeout:
                continue
            status, headers, _ = parse(data)
            if headers.get("cseq", "").endswith("BYE"):
                print(f"{suffix}: BYE {status}")
                break
    finally:
        sock.close()
        try:
            proc.stdin.write(b"quit\n")
            proc.stdin.flush()
            proc.wait(timeout=10)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()


def main():
    for case in CASES:
        capture(*case)


if __name__ == "__main__":
    main()
