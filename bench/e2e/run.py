#!/usr/bin/env python3
"""End-to-end benchmarks of mqtt-pub / mqtt-sub against mosquitto's own clients, over TLS on loopback.

    run.py --pub build/examples/tools/mqtt-pub --sub build/examples/tools/mqtt-sub \
           --measure build/e2e-measure --certs DIR [options]

Normally started by scripts/bench-e2e.sh, which builds the tools and the launcher (measure.c)
and makes the certificates (scripts/gen-certs.sh DIR). Every measured process is started by the
launcher, which reports its exit status, user and system CPU time and peak RSS from wait4().

Part 1, publish throughput ("pub"): one mosquitto with a TLS listener that requires a client
certificate (require_certificate true, use_identity_as_username true) on a free loopback port.
For each QoS 0, 1, 2 and each run, interleaved (ours, theirs, ours, theirs, ...):
  - a counting subscriber (mosquitto_sub by default, --counter mqtt-sub for ours) subscribes to
    a topic used by this run only, with -C N, at QoS 1 by default (--sub-qos): the broker queues
    rather than drops what waits for it (max_queued_messages is raised), and delivering 100,000
    messages at QoS 2 costs mosquitto 2.0.11 itself 20 to 90 s of CPU, which would make the
    QoS 2 figures a measure of the broker; it is ready once the broker logs its subscription;
  - the publisher (`mqtt-pub -l` or `mosquitto_pub -l`, the same arguments) reads N lines of 40
    bytes from a file on standard input. Measured: its exit status, wall time, user and system
    CPU time and peak RSS, and the broker's CPU time during the run;
  - messages delivered are those the subscriber printed: the distinct expected lines (every
    line is unique, so loss and duplicates both show), counted by this script, not taken from
    the publisher. "All delivered" is the time from the publisher's start to the last message at
    the subscriber. A run waits at most --idle seconds without progress after the publisher
    exits, and --timeout seconds in all.

Part 2, receive cost ("recv"): a local sender (this script, Python's ssl module with the broker
certificate, requiring a client certificate) accepts one client, answers CONNECT with CONNACK
(3.1.1 or 5.0 as the CONNECT asks) and SUBSCRIBE with SUBACK, then writes N pre-encoded QoS 0
PUBLISH packets (40-byte payload, 9-byte topic) and waits for the client to leave. The stream is
made ready (encrypted, for TLS) before any of it is written, then written 256 KiB at a time, so
that the sender's pace does not set how many messages each read of the client finds. Transports:
tls (one TLS record per PUBLISH, as a broker writes them), tls-bulk (16 KiB records), tcp.
`mqtt-sub -C N` and `mosquitto_sub -C N` (output to /dev/null) are measured: CPU time (user +
system) per message and peak RSS, 3.1.1 and 5.0. A run with N = 1 gives the fixed cost (start,
TLS handshake, connect, exit), so the marginal cost per message is (CPU(N) - CPU(1)) / (N - 1).

Prints markdown tables of medians (with min-max) and every run's raw figures.
"""

import argparse
import os
import platform
import socket
import ssl
import signal
import statistics
import subprocess
import tempfile
import threading
import time

PAYLOAD_LEN = 40


# ---- helpers -------------------------------------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def payload_line(i):
    """40 bytes, unique per i."""
    head = "m%07d " % i
    return (head + "abcdefghijklmnopqrstuvwxyz0123456789ABCD")[:PAYLOAD_LEN]


class Measured:
    """One child process measured by the measure launcher (bench/e2e/measure.c): exit status, wall
    time, user and system CPU time and peak RSS from wait4(). The launcher forks the command from
    its own small process, so the peak RSS is the command's, not this script's (see measure.c)."""

    launcher = None  # set by main()
    workdir = None

    def __init__(self, cmd, stdin=None, stdout=None, stderr_path=None, timeout=120.0):
        self.cmd = cmd
        self.timed_out = False
        self.result_path = tempfile.mktemp(prefix="measure-", dir=Measured.workdir)
        err = open(stderr_path, "wb") if stderr_path else subprocess.DEVNULL
        self.start = time.monotonic()
        self.proc = subprocess.Popen([Measured.launcher, self.result_path] + cmd,
                                     stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                     stdout=stdout if stdout is not None else subprocess.DEVNULL, stderr=err,
                                     start_new_session=True)
        if stderr_path:
            err.close()
        self._timer = threading.Timer(timeout, self._kill)
        self._timer.daemon = True
        self._timer.start()
        self.status = None
        self.wall = None
        self.user = self.sys = None
        self.maxrss_kib = None
        self.stderr_path = stderr_path

    def _kill(self):
        """SIGTERM (the launcher passes it on and still reports), then SIGKILL for the group."""
        self.timed_out = True
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except OSError:
            return
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass

    def wait(self):
        if self.status is None:
            self.proc.wait()
            self._collect()
        return self

    def poll(self):
        """True once the process has exited."""
        if self.status is None and self.proc.poll() is not None:
            self._collect()
        return self.status is not None

    def _collect(self):
        self.end = time.monotonic()
        self._timer.cancel()
        self.wall = self.end - self.start
        fields = {}
        try:
            with open(self.result_path) as f:
                for item in f.read().split():
                    k, v = item.split("=", 1)
                    fields[k] = v
            os.unlink(self.result_path)
        except OSError:
            pass
        if fields:
            self.status = int(fields["status"])
            self.user = float(fields["user"])
            self.sys = float(fields["sys"])
            self.maxrss_kib = int(fields["maxrss_kib"])
            self.wall = float(fields["wall"])
        else:  # the launcher itself was killed
            self.status = 128 + signal.SIGKILL
            self.user = self.sys = 0.0
            self.maxrss_kib = 0

    def kill(self):
        if self.status is None:
            self._kill()

    @property
    def cpu(self):
        return self.user + self.sys

    def stderr_text(self, limit=2000):
        if not self.stderr_path:
            return ""
        with open(self.stderr_path, "rb") as f:
            text = f.read().decode(errors="replace")
        return text[-limit:]


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def spread(values, fmt):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    m = statistics.median(values)
    if len(values) == 1:
        return fmt % m
    return (fmt + " (" + fmt + "-" + fmt + ")") % (m, min(values), max(values))


# ---- the broker -----------------------------------------------------------------------------------

BROKER_SETTINGS = [
    "per_listener_settings false",
    "allow_anonymous false",
    "max_queued_messages 1000000",
    "max_inflight_messages 0",
]


class Broker:
    def __init__(self, mosquitto, workdir, certs):
        self.port = free_port()
        self.lines = []
        self.cond = threading.Condition()
        text = list(BROKER_SETTINGS) + [
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "log_type subscribe",
            "listener %d 127.0.0.1" % self.port,
            "cafile " + os.path.join(certs, "ca.pem"),
            "certfile " + os.path.join(certs, "broker.pem"),
            "keyfile " + os.path.join(certs, "broker.key"),
            "require_certificate true",
            "use_identity_as_username true",
        ]
        if os.geteuid() == 0:
            text.insert(0, "user root")  # keep reading the keys in our temporary directory
        self.conf = os.path.join(workdir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(text) + "\n")
        self.conf_text = text
        self.proc = subprocess.Popen([mosquitto, "-c", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
        threading.Thread(target=self._read_log, daemon=True).start()
        deadline = time.time() + 10
        while True:
            if self.proc.poll() is not None:
                raise SystemExit("mosquitto exited at start:\n" + "\n".join(self.lines))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit("mosquitto did not listen on port %d" % self.port)
                time.sleep(0.05)

    def _read_log(self):
        for line in self.proc.stderr:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.lines)

    def since(self, mark, needle=None):
        with self.cond:
            return [l for l in self.lines[mark:] if needle is None or needle in l]

    def wait_subscribed(self, client_id, topic, mark, timeout=15):
        deadline = time.time() + timeout
        with self.cond:
            while True:
                for line in self.lines[mark:]:
                    rest = line.split(" ", 1)[-1]
                    if rest.startswith(client_id + " ") and line.endswith(" " + topic):
                        return True
                left = deadline - time.time()
                if left <= 0:
                    return False
                self.cond.wait(left)

    def cpu(self):
        """The broker's user + system CPU time so far, in seconds (/proc/PID/stat)."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---- part 1: publish throughput -------------------------------------------------------------------

class Counter:
    """A counting subscriber: the tool's standard output is read as it comes."""

    def __init__(self, cmd, expected, stderr_path, timeout):
        self.expected = expected
        self.chunks = []
        self.newlines = 0
        self.last_time = None
        self.full_time = None
        self.lock = threading.Lock()
        self.m = Measured(cmd, stdout=subprocess.PIPE, stderr_path=stderr_path, timeout=timeout)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        fd = self.m.proc.stdout.fileno()
        while True:
            data = os.read(fd, 1 << 16)
            if not data:
                break
            now = time.monotonic()
            with self.lock:
                self.chunks.append(data)
                self.newlines += data.count(b"\n")
                self.last_time = now
                if self.full_time is None and self.newlines >= self.expected:
                    self.full_time = now

    def progress(self):
        with self.lock:
            return self.newlines, self.last_time

    def finish(self, give_up_at, idle):
        """Waits for the subscriber to exit by itself (it got -C messages) or to stall."""
        last_n, last_change = -1, time.monotonic()
        while not self.m.poll():
            now = time.monotonic()
            n, _ = self.progress()
            if n != last_n:
                last_n, last_change = n, now
            if now > give_up_at or now - last_change > idle:
                self.m.kill()
                break
            time.sleep(0.05)
        self.m.wait()
        self.thread.join(10)
        return b"".join(self.chunks)


def make_lines(path, count):
    with open(path, "w") as f:
        for i in range(count):
            f.write(payload_line(i) + "\n")
    return {payload_line(i).encode() for i in range(count)}


def pub_part(a, certs, workdir, out):
    broker = Broker(a.mosquitto, workdir, certs)
    lines_path = os.path.join(workdir, "lines.txt")
    expected = make_lines(lines_path, a.messages)
    tls_pub = ["-h", "localhost", "-p", str(broker.port), "--cafile", os.path.join(certs, "ca.pem"),
               "--cert", os.path.join(certs, "wearable-01.pem"), "--key", os.path.join(certs, "wearable-01.key")]
    tls_sub = ["-h", "localhost", "-p", str(broker.port), "--cafile", os.path.join(certs, "ca.pem"),
               "--cert", os.path.join(certs, "hospital-display.pem"),
               "--key", os.path.join(certs, "hospital-display.key")]
    counter_tool = a.sub if a.counter == "mqtt-sub" else a.mosquitto_sub
    counter_version = ["-V", a.version] if a.counter == "mqtt-sub" else ["-V", "mqttv5" if a.version == "5" else "mqttv311"]
    publishers = [("mqtt-pub", a.pub, ["-V", a.version]),
                  ("mosquitto_pub", a.mosquitto_pub, ["-V", "mqttv5" if a.version == "5" else "mqttv311"])]
    runs = []
    out("Broker: %s, port %d; settings: %s; TLS listener on 127.0.0.1 with require_certificate true, "
        "use_identity_as_username true" % (a.mosquitto, broker.port, "; ".join(BROKER_SETTINGS)))
    out("Counting subscriber: %s %s -q %d -C %d (TLS, client certificate)" % (
        os.path.basename(counter_tool), " ".join(counter_version), a.sub_qos, a.messages))
    try:
        for qos in a.qos:
            for rep in range(a.reps):
                for name, tool, version in publishers:
                    tag = "q%d-%s-%d" % (qos, name.replace("_", ""), rep)
                    topic = "bench/e2e/" + tag
                    sub_id = "count-" + tag
                    pub_id = "pub-" + tag
                    mark = broker.mark()
                    counter = Counter([counter_tool] + tls_sub + counter_version +
                                      ["-i", sub_id, "-t", topic, "-q", str(a.sub_qos), "-C", str(a.messages)],
                                      a.messages, os.path.join(workdir, "sub-%s.err" % tag), a.timeout + 30)
                    if not broker.wait_subscribed(sub_id, topic, mark):
                        counter.m.kill()
                        counter.m.wait()
                        raise SystemExit("the counting subscriber never subscribed: %s\n%s"
                                         % (counter.m.stderr_text(), "\n".join(broker.since(mark))))
                    broker_cpu0 = broker.cpu()
                    with open(lines_path, "rb") as stdin:
                        p = Measured([tool] + tls_pub + version + ["-i", pub_id, "-t", topic, "-q", str(qos), "-l"],
                                     stdin=stdin, stderr_path=os.path.join(workdir, "pub-%s.err" % tag),
                                     timeout=a.timeout)
                        p.wait()
                    data = counter.finish(p.start + a.timeout, a.idle)
                    broker_cpu = broker.cpu() - broker_cpu0
                    got = data.split(b"\n")
                    tail = got.pop()  # after the last newline: empty unless cut short
                    distinct = set(got) & expected
                    r = {
                        "qos": qos, "tool": name, "rep": rep, "status": p.status, "timed_out": p.timed_out,
                        "wall": p.wall, "user": p.user, "sys": p.sys, "cpu": p.cpu, "rss": p.maxrss_kib,
                        "received": len(got), "delivered": len(distinct), "duplicates": len(got) - len(set(got)),
                        "unexpected": len(set(got) - expected) + (1 if tail else 0),
                        "all_time": (counter.full_time - p.start) if counter.full_time else None,
                        "last_time": (counter.last_time - p.start) if counter.last_time else None,
                        "sub_status": counter.m.status, "sub_cpu": counter.m.cpu, "broker_cpu": broker_cpu,
                        "pub_stderr": p.stderr_text(600).strip(),
                        "broker_log": [l for l in broker.since(mark) if pub_id in l or "error" in l.lower()
                                       or "warn" in l.lower()],
                    }
                    runs.append(r)
                    out("  QoS %d %-13s run %d: exit %s%s, delivered %d/%d%s, publisher %.2f s wall, %.2f s CPU, "
                        "%.1f MiB; all delivered %s"
                        % (qos, name, rep + 1, p.status, " (killed at the time limit)" if p.timed_out else "",
                           r["delivered"], a.messages,
                           (", %d duplicates" % r["duplicates"]) if r["duplicates"] else "", p.wall, p.cpu,
                           p.maxrss_kib / 1024.0,
                           ("after %.2f s" % r["all_time"]) if r["all_time"] and r["delivered"] == a.messages
                           else "NO (last message after %s s)" % (
                               "%.2f" % r["last_time"] if r["last_time"] else "-")))
                    if r["delivered"] != a.messages or p.status != 0:
                        if r["pub_stderr"]:
                            out("      publisher stderr: " + r["pub_stderr"].replace("\n", "\n      "))
                        for l in r["broker_log"][-6:]:
                            out("      broker: " + l)
    finally:
        broker.stop()
    return broker, runs


def pub_tables(a, runs, out):
    out("")
    out("#### Publishing %d messages of %d bytes (medians of %d runs, min-max in brackets)"
        % (a.messages, PAYLOAD_LEN, a.reps))
    out("")
    out("| QoS | Publisher | Exit status | Delivered | Publisher wall (s) | All delivered (s) | "
        "CPU user+sys (s) | CPU per message delivered (µs) | Peak RSS (MiB) | Broker CPU (s) |")
    out("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for qos in a.qos:
        for name in ("mqtt-pub", "mosquitto_pub"):
            rs = [r for r in runs if r["qos"] == qos and r["tool"] == name]
            if not rs:
                continue
            statuses = sorted({("killed" if r["timed_out"] else str(r["status"])) for r in rs})
            delivered = [r["delivered"] for r in rs]
            complete = [r for r in rs if r["delivered"] == a.messages]
            all_times = [r["all_time"] for r in complete]
            out("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                qos, name, ", ".join(statuses),
                spread(delivered, "%d") if len(set(delivered)) > 1 else "%d" % delivered[0],
                spread([r["wall"] for r in rs], "%.2f"),
                (spread(all_times, "%.2f") + ("" if len(complete) == len(rs) else " (%d of %d runs complete)"
                                              % (len(complete), len(rs)))) if complete else "never",
                spread([r["cpu"] for r in rs], "%.2f"),
                spread([r["cpu"] / r["delivered"] * 1e6 for r in rs if r["delivered"]], "%.1f"),
                spread([r["rss"] / 1024.0 for r in rs], "%.1f"),
                spread([r["broker_cpu"] for r in rs], "%.2f")))
    out("")
    out("Raw runs, in the order they ran:")
    out("")
    out("| QoS | Publisher | Run | Exit | Delivered | Duplicates | Wall (s) | All delivered (s) | User (s) | "
        "Sys (s) | Peak RSS (KiB) | Counter's CPU (s) | Broker CPU (s) |")
    out("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    order = sorted(runs, key=lambda r: (r["qos"], r["rep"], r["tool"] != "mqtt-pub"))
    for r in order:
        out("| %d | %s | %d | %s | %d | %d | %.2f | %s | %.2f | %.2f | %d | %.2f | %.2f |" % (
            r["qos"], r["tool"], r["rep"] + 1, "killed" if r["timed_out"] else r["status"], r["delivered"],
            r["duplicates"], r["wall"],
            "%.2f" % r["all_time"] if r["all_time"] and r["delivered"] == a.messages else "-",
            r["user"], r["sys"], r["rss"], r["sub_cpu"], r["broker_cpu"]))


# ---- part 2: receive cost -------------------------------------------------------------------------

RECV_TOPIC = b"bench/rx1"
TRANSPORT_NAMES = {"tls": "TLS", "tls-bulk": "TLS bulk", "tcp": "TCP"}


def varint(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet_size(v5):
    return 2 + 2 + len(RECV_TOPIC) + (1 if v5 else 0) + PAYLOAD_LEN


def publish_stream(count, v5):
    parts = []
    t = len(RECV_TOPIC).to_bytes(2, "big") + RECV_TOPIC + (b"\x00" if v5 else b"")
    for i in range(count):
        body = t + payload_line(i).encode()
        parts.append(b"\x30" + varint(len(body)) + body)
    assert len(parts[0]) == packet_size(v5)
    return b"".join(parts)


def read_varint(body, pos):
    value, mult = 0, 1
    while True:
        b = body[pos]
        pos += 1
        value += (b & 0x7F) * mult
        mult *= 128
        if not b & 0x80:
            return value, pos


class Conn:
    """The sender's side of one connection: plain TCP, or TLS through an ssl.SSLObject on memory
    BIOs, so that the sender decides how the bytes are cut into records and can encrypt a whole
    stream before writing any of it."""

    def __init__(self, raw, context):
        self.raw = raw
        self.buf = bytearray()
        self.obj = None
        if context:
            self.inc, self.outg = ssl.MemoryBIO(), ssl.MemoryBIO()
            self.obj = context.wrap_bio(self.inc, self.outg, server_side=True)
            self._until_done(self.obj.do_handshake)

    def _flush(self):
        data = self.outg.read()
        if data:
            self.raw.sendall(data)

    def _until_done(self, op, *args):
        while True:
            try:
                result = op(*args)
                self._flush()
                return result
            except ssl.SSLWantReadError:
                self._flush()
                data = self.raw.recv(1 << 16)
                if not data:
                    raise EOFError("the client closed the connection")
                self.inc.write(data)

    def recv(self):
        if self.obj is None:
            return self.raw.recv(1 << 16)
        try:
            return self._until_done(self.obj.read, 1 << 16)
        except (EOFError, ssl.SSLZeroReturnError, ssl.SSLEOFError):
            return b""

    def read_exact(self, n):
        while len(self.buf) < n:
            chunk = self.recv()
            if not chunk:
                raise EOFError("the client closed the connection")
            self.buf += chunk
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_packet(self):
        first = self.read_exact(1)[0]
        length, mult = 0, 1
        while True:
            b = self.read_exact(1)[0]
            length += (b & 0x7F) * mult
            mult *= 128
            if not b & 0x80:
                break
        return first, self.read_exact(length) if length else b""

    def sendall(self, data):
        if self.obj is None:
            self.raw.sendall(data)
        else:
            self.obj.write(data)
            self._flush()

    def prepare(self, data, step):
        """The bytes to write for `data`, written `step` bytes at a time: each write of the TLS
        connection makes one record (of at most 16 KiB). Encrypted now, sent by blast()."""
        if self.obj is None:
            return data
        view = memoryview(data)
        write = self.obj.write
        for off in range(0, len(view), step):
            write(view[off:off + step])
        return self.outg.read()

    def blast(self, wire):
        view = memoryview(wire)
        for off in range(0, len(view), 1 << 18):
            self.raw.sendall(view[off:off + (1 << 18)])

    def version(self):
        return "%s %s" % (self.obj.version(), self.obj.cipher()[0]) if self.obj else None


class Sender:
    """Accepts one client, answers CONNECT and SUBSCRIBE, writes the stream, waits for the client to leave.

    The whole stream is made ready (and encrypted, for TLS) after the SUBACK and before the first
    PUBLISH is written, then written 256 KiB at a time: the client waits, idle, while the sender
    prepares, and then receives as fast as it can read, so that the sender's pace does not set how
    many messages each of the client's reads finds."""

    def __init__(self, context, streams, per_packet):
        self.context = context
        self.streams = streams  # {False: 3.1.1 stream, True: 5.0 stream}: packets of the same size
        self.per_packet = per_packet  # TLS: one record per PUBLISH, as a broker writes them
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.error = None
        self.tls = None
        self.sent = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        raw = None
        try:
            self.listener.settimeout(30)
            raw, _ = self.listener.accept()
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            raw.settimeout(60)
            conn = Conn(raw, self.context)
            self.tls = conn.version()
            first, body = conn.read_packet()
            if first >> 4 != 1:
                raise RuntimeError("expected CONNECT, got packet type %d" % (first >> 4))
            name_len = int.from_bytes(body[0:2], "big")
            v5 = body[2 + name_len] == 5
            conn.sendall(b"\x20\x03\x00\x00\x00" if v5 else b"\x20\x02\x00\x00")
            while True:
                first, body = conn.read_packet()
                if first >> 4 == 8:
                    break
                if first >> 4 == 12:  # PINGREQ
                    conn.sendall(b"\xd0\x00")
            pid = body[0:2]
            pos = 2
            if v5:
                plen, pos = read_varint(body, pos)
                pos += plen
            filters = 0
            while pos < len(body):
                flen = int.from_bytes(body[pos:pos + 2], "big")
                pos += 2 + flen + 1
                filters += 1
            suback = pid + (b"\x00" if v5 else b"") + b"\x00" * filters
            conn.sendall(b"\x90" + varint(len(suback)) + suback)
            data = self.streams[v5]
            wire = conn.prepare(data, packet_size(v5) if self.per_packet else 1 << 14)
            conn.blast(wire)
            self.sent = len(data)
            # The client leaves by itself after -C messages (DISCONNECT, then close).
            while conn.recv():
                pass
        except Exception as e:  # reported by the run
            self.error = "%s: %s" % (type(e).__name__, e)
        finally:
            if raw is not None:
                try:
                    raw.close()
                except OSError:
                    pass
            self.listener.close()


def recv_part(a, certs, workdir, out):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(certs, "broker.pem"), os.path.join(certs, "broker.key"))
    ctx.load_verify_locations(os.path.join(certs, "ca.pem"))
    ctx.verify_mode = ssl.CERT_REQUIRED
    streams = {False: publish_stream(a.recv_messages, False), True: publish_stream(a.recv_messages, True)}
    for t in a.transports:
        if t not in TRANSPORT_NAMES:
            raise SystemExit("unknown transport %r (tls, tls-bulk, tcp)" % t)
    ones = {False: publish_stream(1, False), True: publish_stream(1, True)}
    out("Sender: Python %s, %s; %d QoS 0 PUBLISH per run, %d bytes (3.1.1) / %d bytes (5.0) in all"
        % (platform.python_version(), ssl.OPENSSL_VERSION, a.recv_messages, len(streams[False]), len(streams[True])))
    subscribers = [("mqtt-sub", a.sub, {"311": ["-V", "311"], "5": ["-V", "5"]}),
                   ("mosquitto_sub", a.mosquitto_sub, {"311": ["-V", "mqttv311"], "5": ["-V", "mqttv5"]})]
    runs = []
    for transport in a.transports:
        for version in a.recv_versions:
            for count in (1, a.recv_messages):
                reps = a.recv_reps if count > 1 else max(1, min(3, a.recv_reps))
                for rep in range(reps):
                    for name, tool, vflag in subscribers:
                        sender = Sender(ctx if transport.startswith("tls") else None,
                                        ones if count == 1 else streams, per_packet=transport == "tls")
                        cmd = [tool, "-h", "localhost", "-p", str(sender.port)] + vflag[version] + [
                            "-i", "rx-%s-%d" % (name.replace("_", ""), rep), "-t", "bench/#", "-q", "0",
                            "-C", str(count)]
                        if transport.startswith("tls"):
                            cmd += ["--cafile", os.path.join(certs, "ca.pem"),
                                    "--cert", os.path.join(certs, "wearable-01.pem"),
                                    "--key", os.path.join(certs, "wearable-01.key")]
                        with open(os.devnull, "wb") as null:
                            m = Measured(cmd, stdout=null, stderr_path=os.path.join(workdir, "rx.err"),
                                         timeout=a.timeout).wait()
                        sender.thread.join(10)
                        if sender.error is None and sender.sent != len((ones if count == 1 else streams)[version == "5"]):
                            sender.error = "sent %d bytes only" % sender.sent
                        r = {"transport": transport, "version": version, "count": count, "tool": name, "rep": rep,
                             "status": m.status, "timed_out": m.timed_out, "wall": m.wall, "user": m.user,
                             "sys": m.sys, "cpu": m.cpu, "rss": m.maxrss_kib, "tls": sender.tls,
                             "sender_error": sender.error, "stderr": m.stderr_text(600).strip()}
                        runs.append(r)
                        if m.status != 0 or m.timed_out or sender.error:
                            out("  %s %s %s -C %d run %d: exit %s%s; stderr: %s; sender: %s" % (
                                transport, version, name, count, rep + 1, m.status,
                                " (killed at the time limit)" if m.timed_out else "", r["stderr"], sender.error))
    return runs


def recv_tables(a, runs, out):
    n = a.recv_messages
    out("")
    out("#### Receiving %d QoS 0 messages of %d bytes from a local sender (medians of %d runs, min-max in brackets)"
        % (n, PAYLOAD_LEN, a.recv_reps))
    out("")
    out("Marginal = (CPU(%d) - CPU(1)) / %d: without the fixed cost of starting, the TLS handshake and connecting."
        % (n, n - 1))
    out("")
    out("Transports: TLS = one TLS record per PUBLISH (as mosquitto writes them); TLS bulk = 16 KiB records; "
        "TCP = plain TCP. The sender encrypts the whole stream first, then writes it 256 KiB at a time.")
    out("")
    out("| Transport | MQTT | Subscriber | Exit | CPU user+sys (s) | CPU per message (µs) | Marginal (µs) | "
        "of which sys (µs) | Fixed cost, -C 1 (ms CPU) | Peak RSS (MiB) | TLS |")
    out("|---|---|---|---|---:|---:|---:|---:|---:|---:|---|")
    for transport in a.transports:
        for version in a.recv_versions:
            for name in ("mqtt-sub", "mosquitto_sub"):
                rs = [r for r in runs if r["transport"] == transport and r["version"] == version
                      and r["tool"] == name and r["count"] == n]
                ones = [r for r in runs if r["transport"] == transport and r["version"] == version
                        and r["tool"] == name and r["count"] == 1]
                if not rs:
                    continue
                fixed = med([r["cpu"] for r in ones]) or 0.0
                statuses = sorted({("killed" if r["timed_out"] else str(r["status"])) for r in rs + ones})
                tls = sorted({r["tls"] for r in rs if r["tls"]})
                out("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    TRANSPORT_NAMES[transport], "5.0" if version == "5" else "3.1.1", name,
                    ", ".join(statuses), spread([r["cpu"] for r in rs], "%.3f"),
                    spread([r["cpu"] / n * 1e6 for r in rs], "%.2f"),
                    spread([(r["cpu"] - fixed) / (n - 1) * 1e6 for r in rs], "%.2f"),
                    spread([r["sys"] / n * 1e6 for r in rs], "%.2f"),
                    spread([r["cpu"] * 1e3 for r in ones], "%.1f"),
                    spread([r["rss"] / 1024.0 for r in rs], "%.1f"), ", ".join(tls) or "-"))
    out("")
    out("Raw runs, in the order they ran (wall time includes the sender's preparing the stream):")
    out("")
    out("| Transport | MQTT | Subscriber | -C | Run | Exit | Wall (s) | User (s) | Sys (s) | Peak RSS (KiB) |")
    out("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        out("| %s | %s | %s | %d | %d | %s | %.3f | %.3f | %.3f | %d |" % (
            TRANSPORT_NAMES[r["transport"]], r["version"], r["tool"], r["count"], r["rep"] + 1,
            "killed" if r["timed_out"] else r["status"], r["wall"], r["user"], r["sys"], r["rss"]))


# ---- main ----------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pub", required=True, help="mqtt-pub")
    ap.add_argument("--sub", required=True, help="mqtt-sub")
    ap.add_argument("--certs", required=True, help="a directory made by scripts/gen-certs.sh")
    ap.add_argument("--measure", required=True, help="the launcher built from bench/e2e/measure.c")
    ap.add_argument("--mosquitto", default="/usr/sbin/mosquitto")
    ap.add_argument("--mosquitto-pub", default="mosquitto_pub")
    ap.add_argument("--mosquitto-sub", default="mosquitto_sub")
    ap.add_argument("--parts", default="pub,recv", help="pub, recv or both (default)")
    ap.add_argument("--messages", type=int, default=100000, help="messages per publish run")
    ap.add_argument("--reps", type=int, default=3, help="runs of each publisher at each QoS")
    ap.add_argument("--qos", default="0,1,2")
    ap.add_argument("--version", default="311", choices=("311", "5"), help="MQTT version of the publish part")
    ap.add_argument("--sub-qos", type=int, default=1, choices=(0, 1, 2),
                    help="QoS the counting subscriber subscribes with (default 1)")
    ap.add_argument("--counter", default="mosquitto_sub", choices=("mosquitto_sub", "mqtt-sub"),
                    help="the subscriber that counts the messages delivered")
    ap.add_argument("--recv-messages", type=int, default=200000)
    ap.add_argument("--recv-reps", type=int, default=5)
    ap.add_argument("--recv-versions", default="311,5")
    ap.add_argument("--transports", default="tls,tls-bulk,tcp",
                    help="tls (one record per PUBLISH), tls-bulk (16 KiB records), tcp")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds a run may take in all")
    ap.add_argument("--idle", type=float, default=5.0,
                    help="seconds without a new message, after the publisher exits, before a run gives up")
    a = ap.parse_args()
    a.qos = [int(q) for q in a.qos.split(",") if q]
    a.recv_versions = [v for v in a.recv_versions.split(",") if v]
    a.transports = [t for t in a.transports.split(",") if t]
    parts = set(a.parts.split(","))

    def out(line=""):
        print(line, flush=True)

    started = time.monotonic()
    out("Machine: %s, %d logical CPUs; load average at the start: %s" % (
        cpu_model(), os.cpu_count(), open("/proc/loadavg").read().split()[:3]))
    out("Tools: %s, %s; %s" % (a.pub, a.sub, tool_versions(a)))
    out("")
    with tempfile.TemporaryDirectory(prefix="sansmqtt-e2e-") as workdir:
        Measured.launcher = os.path.abspath(a.measure)
        Measured.workdir = workdir
        base = [Measured(["/bin/true"]).wait() for _ in range(3)]
        out("Baseline: /bin/true under the launcher: peak RSS %d KiB, CPU %.1f ms (median of 3)"
            % (med([m.maxrss_kib for m in base]), med([m.cpu for m in base]) * 1e3))
        out("")
        if "pub" in parts:
            t0 = time.monotonic()
            out("== Part 1: publish throughput over TLS through mosquitto ==")
            _, runs = pub_part(a, a.certs, workdir, out)
            pub_tables(a, runs, out)
            bad = [r for r in runs if r["tool"] == "mqtt-pub" and (r["delivered"] != a.messages or r["status"] != 0)]
            slow = [r for r in runs if r["tool"] == "mqtt-pub" and r["wall"] > 10 * max(r["cpu"], 0.1) and r["wall"] > 10]
            out("")
            for r in bad:
                out("PROBLEM: mqtt-pub at QoS %d, run %d: exit %s, %d of %d messages delivered; stderr: %s"
                    % (r["qos"], r["rep"] + 1, r["status"], r["delivered"], a.messages, r["pub_stderr"] or "-"))
            for r in slow:
                out("STALL? mqtt-pub at QoS %d, run %d: %.1f s wall for %.2f s CPU"
                    % (r["qos"], r["rep"] + 1, r["wall"], r["cpu"]))
            out("")
            out("(part 1 took %.0f s)" % (time.monotonic() - t0))
            out("")
        if "recv" in parts:
            t0 = time.monotonic()
            out("== Part 2: receive cost ==")
            runs = recv_part(a, a.certs, workdir, out)
            recv_tables(a, runs, out)
            out("")
            out("(part 2 took %.0f s)" % (time.monotonic() - t0))
    out("")
    out("Load average at the end: %s; total %.0f s" % (open("/proc/loadavg").read().split()[:3],
                                                       time.monotonic() - started))


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def tool_versions(a):
    try:
        r = subprocess.run([a.mosquitto, "-h"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=5)
        first = r.stdout.decode(errors="replace").splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        first = "mosquitto (version unknown)"
    return first + "; " + ssl.OPENSSL_VERSION


if __name__ == "__main__":
    main()
