#!/usr/bin/env python3
"""mqtt-pub and mqtt-sub against a real mosquitto broker, one case per run.

    run_tools_test.py --case NAME --pub PATH --sub PATH --mosquitto PATH

Starts mosquitto on a free loopback port (a plain TCP listener, anonymous clients allowed; the
TLS case adds a TLS listener with certificates made by openssl in a temporary directory), runs
the case, stops the broker. Exit status 0: passed; 1: failed (the reason is printed). A missing
peer (mosquitto, mosquitto_pub / mosquitto_sub, openssl) fails the case, naming the Debian
package: these tests are against the real programs or not at all.

Broker settings: max_queued_messages is raised from 1000 to 1,000,000, because mosquitto drops
QoS 1 and 2 messages for a subscriber whose queue is full, and the 20,000-line cases publish
faster than a subscriber drains. The QoS 2 line case also sets max_inflight_messages 0 (no
limit): with the default of 20, mosquitto 2.0.11 stalls QoS 2 deliveries to a subscriber once
messages queue up for it (every received message acknowledged, nothing more sent), for
mosquitto_sub as well, whichever client publishes; and it sends a 5.0 subscriber more
unacknowledged messages than its Receive Maximum (db__message_delete_outgoing() counts only the
in-flight messages before the completed one). The QoS 1 case keeps the default, so mqtt-pub
there runs against mosquitto's Receive Maximum of 20 (5.0) and its own session store (3.1.1).

Readiness: a subscriber is ready once the broker logs its subscription (log_type subscribe
prints "<client id> <qos> <filter>"), so no sleep decides a race.

Also usable by hand: --keep prints the broker's port and waits for Enter before stopping it.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """A mosquitto process on loopback, with its log collected line by line."""

    def __init__(self, mosquitto, workdir, extra="", allow_anonymous=True, listeners=None):
        self.port = free_port()
        self.lines = []
        self.cond = threading.Condition()
        conf = os.path.join(workdir, "mosquitto-%d.conf" % self.port)
        text = [
            "per_listener_settings false",
            "allow_anonymous %s" % ("true" if allow_anonymous else "false"),
            "max_queued_messages 1000000",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "log_type subscribe",
        ] + [l for l in extra.split("\n") if l] + [
            "listener %d 127.0.0.1" % self.port,
        ]
        if os.geteuid() == 0:
            text.insert(0, "user root")  # stay root: files in our temporary directory stay readable
        for listener in listeners or []:
            text.extend(listener)
        conf_text = "\n".join(text) + "\n"
        with open(conf, "w") as f:
            f.write(conf_text)
        self.proc = subprocess.Popen([mosquitto, "-c", conf], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True, errors="replace")
        threading.Thread(target=self._read_log, daemon=True).start()
        self._wait_listening(self.port)

    def _read_log(self):
        for line in self.proc.stderr:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def _wait_listening(self, port):
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise Failure("mosquitto exited at start:\n" + "\n".join(self.lines))
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise Failure("mosquitto did not listen on port %d" % port)

    def wait_log(self, predicate, what, timeout=10):
        deadline = time.time() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    if predicate(line):
                        return line
                left = deadline - time.time()
                if left <= 0:
                    raise Failure("broker log never showed %s; log:\n%s" % (what, "\n".join(self.lines[-40:])))
                self.cond.wait(left)

    def wait_subscribed(self, client_id, topic, timeout=10):
        # log_type subscribe: "<time>: <client id> <qos> <filter>"
        self.wait_log(lambda l: l.split(" ", 1)[-1].startswith(client_id + " ") and l.endswith(" " + topic),
                      "the subscription of %s to %s" % (client_id, topic), timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Tools:
    def __init__(self, args, broker):
        self.pub_path = args.pub
        self.sub_path = args.sub
        self.broker = broker
        self.serial = 0

    def client_id(self, prefix):
        self.serial += 1
        return "%s-%d-%d" % (prefix, os.getpid(), self.serial)

    def pub(self, *args, input=None, port=None, timeout=60, check_ok=True):
        cmd = [self.pub_path, "-p", str(port or self.broker.port)] + list(args)
        r = subprocess.run(cmd, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        if check_ok and r.returncode != 0:
            raise Failure("%s exited %d:\n%s" % (" ".join(cmd), r.returncode, r.stderr.decode(errors="replace")))
        return r

    def start_sub(self, *args, client_id=None, topics=None, port=None, tool=None, wait=True):
        """Starts a subscriber (our mqtt-sub by default) and waits until the broker has its subscriptions."""
        client_id = client_id or self.client_id("sub")
        cmd = [tool or self.sub_path, "-p", str(port or self.broker.port), "-i", client_id] + list(args)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.cmd = cmd
        if wait:
            for t in topics or [args[i + 1] for i, a in enumerate(args) if a == "-t"]:
                try:
                    self.broker.wait_subscribed(client_id, t)
                except Failure:
                    proc.kill()
                    out, err = proc.communicate()
                    raise Failure("subscriber never subscribed (%s): %s" % (" ".join(cmd), err.decode(errors="replace")))
        return proc

    @staticmethod
    def finish(proc, timeout=60, expect_status=0):
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise Failure("%s did not finish in %d s; got %d bytes, stderr:\n%s"
                          % (" ".join(proc.cmd), timeout, len(out), err.decode(errors="replace")[-2000:]))
        if expect_status is not None and proc.returncode != expect_status:
            raise Failure("%s exited %d, expected %d; stderr:\n%s"
                          % (" ".join(proc.cmd), proc.returncode, expect_status, err.decode(errors="replace")))
        return out, err


def run_plain(tool, *args, timeout=30):
    return subprocess.run([tool] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


# ---- cases -------------------------------------------------------------------------------------

def roundtrip(t, version):
    v = ["-V", version]
    for qos in (0, 1, 2):
        topic = "rt/%s/q%d" % (version, qos)
        sub = t.start_sub(*v, "-t", topic, "-q", "2", "-C", "1")
        t.pub(*v, "-t", topic, "-q", str(qos), "-m", "hello %d" % qos)
        out, _ = t.finish(sub, timeout=20)
        check(out == b"hello %d\n" % qos, "QoS %d over %s: got %r" % (qos, version, out))
        # -v prints "topic payload"
        sub = t.start_sub(*v, "-t", topic, "-q", str(qos), "-C", "1", "-v")
        t.pub(*v, "-t", topic, "-q", str(qos), "-m", "verbose")
        out, _ = t.finish(sub, timeout=20)
        check(out == (topic + " verbose\n").encode(), "-v QoS %d over %s: got %r" % (qos, version, out))
    # Interoperation with mosquitto's own clients, both ways.
    mv = "mqttv5" if version == "5" else "mqttv311"
    sub = t.start_sub("-V", mv, "-t", "rt/interop1", "-q", "2", "-C", "1", tool="mosquitto_sub")
    t.pub(*v, "-t", "rt/interop1", "-q", "2", "-m", "to mosquitto_sub")
    out, _ = t.finish(sub, timeout=20)
    check(out == b"to mosquitto_sub\n", "mqtt-pub -> mosquitto_sub: got %r" % out)
    sub = t.start_sub(*v, "-t", "rt/interop2", "-q", "2", "-C", "1")
    r = run_plain("mosquitto_pub", "-p", str(t.broker.port), "-V", mv, "-t", "rt/interop2", "-q", "2", "-m",
                  "from mosquitto_pub")
    check(r.returncode == 0, "mosquitto_pub failed: %s" % r.stderr)
    out, _ = t.finish(sub, timeout=20)
    check(out == b"from mosquitto_pub\n", "mosquitto_pub -> mqtt-sub: got %r" % out)


def lines_case(t, qos, runs):
    count = 20000
    # Lines of varied length, each unique, so order and loss both show.
    lines = ["line %05d %s" % (i, "x" * (i % 37)) for i in range(count)]
    data = ("\n".join(lines) + "\n").encode()
    for run in runs:
        pub_version, sub_version, sub_qos = run[:3]
        pub_extra = run[3] if len(run) > 3 else []
        topic = "lines/q%d/%s-%s%s" % (qos, pub_version, sub_version, "".join(pub_extra))
        sub = t.start_sub("-V", sub_version, "-t", topic, "-q", str(sub_qos), "-C", str(count))
        start = time.time()
        r = t.pub("-V", pub_version, "-t", topic, "-q", str(qos), "-l", *pub_extra, input=data, timeout=180)
        pub_time = time.time() - start
        out, _ = t.finish(sub, timeout=180)
        total = time.time() - start
        got = out.decode().split("\n")
        check(got[-1] == "", "output does not end with a newline")
        got = got[:-1]
        check(len(got) == count, "pub -V %s -q %d, sub -V %s -q %d: %d of %d lines arrived"
              % (pub_version, qos, sub_version, sub_qos, len(got), count))
        if got != lines:
            first = next(i for i in range(count) if got[i] != lines[i])
            raise Failure("line %d differs: %r, expected %r" % (first, got[first], lines[first]))
        print("%d lines, pub -V %s -q %d%s -> sub -V %s -q %d: mqtt-pub %.2f s, all received %.2f s (%.0f msg/s)"
              % (count, pub_version, qos, "".join(" " + x for x in pub_extra), sub_version, sub_qos, pub_time,
                 total, count / total))
        check(r.stderr == b"", "mqtt-pub wrote to stderr: %r" % r.stderr)
    # A last line without a newline is a message too; empty lines are empty messages.
    topic = "lines/q%d/tail" % qos
    sub = t.start_sub("-V", "5", "-t", topic, "-q", "2", "-C", "4", "-v")
    t.pub("-V", "5", "-t", topic, "-q", str(qos), "-l", input=b"a\n\nb\r\nc")
    out, _ = t.finish(sub, timeout=20)
    expect = ("%s a\n%s (null)\n%s b\r\n%s c\n" % (topic, topic, topic, topic)).encode()
    check(out == expect, "tail lines: got %r, expected %r" % (out, expect))


def case_retain(t):
    for version in ("311", "5"):
        topic = "retain/" + version
        t.pub("-V", version, "-t", topic, "-q", "1", "-r", "-m", "kept")
        sub = t.start_sub("-V", version, "-t", topic, "-C", "1", "-v")
        out, _ = t.finish(sub, timeout=20)
        check(out == (topic + " kept\n").encode(), "retained message: got %r" % out)
        # -R skips stale (retained) messages: nothing arrives before the timeout.
        sub = t.start_sub("-V", version, "-t", topic, "-R", "-W", "1")
        out, err = t.finish(sub, timeout=20, expect_status=27)
        check(out == b"", "-R printed a retained message: %r" % out)
        # An empty retained message clears it.
        t.pub("-V", version, "-t", topic, "-r", "-n")
        sub = t.start_sub("-V", version, "-t", topic, "-W", "1")
        out, err = t.finish(sub, timeout=20, expect_status=27)
        check(out == b"", "the retained message was not cleared: %r" % out)


def case_null_message(t):
    for version in ("311", "5"):
        topic = "null/" + version
        sub_v = t.start_sub("-V", version, "-t", topic, "-q", "1", "-C", "2", "-v")
        sub_n = t.start_sub("-V", version, "-t", topic, "-q", "1", "-C", "2")
        t.pub("-V", version, "-t", topic, "-q", "1", "-n")
        t.pub("-V", version, "-t", topic, "-q", "1", "-m", "after")
        out, _ = t.finish(sub_v, timeout=20)
        check(out == ("%s (null)\n%s after\n" % (topic, topic)).encode(), "-v with -n: got %r" % out)
        out, _ = t.finish(sub_n, timeout=20)
        # As mosquitto_sub: an empty payload prints nothing without -v.
        check(out == b"after\n", "without -v: got %r" % out)


def case_file(t, workdir):
    data = bytes((i * 7 + 3) % 256 for i in range(10000)) + b"\nline two\n"
    path = os.path.join(workdir, "payload.bin")
    with open(path, "wb") as f:
        f.write(data)
    for version in ("311", "5"):
        topic = "file/" + version
        sub = t.start_sub("-V", version, "-t", topic, "-q", "2", "-C", "1", "-N")
        t.pub("-V", version, "-t", topic, "-q", "2", "-f", path)
        out, _ = t.finish(sub, timeout=20)
        check(out == data, "-f: %d bytes arrived of %d" % (len(out), len(data)))
    # -s: all of standard input as one message
    sub = t.start_sub("-t", "file/stdin", "-C", "1")
    t.pub("-t", "file/stdin", "-s", input=b"one\ntwo")
    out, _ = t.finish(sub, timeout=20)
    check(out == b"one\ntwo\n", "-s: got %r" % out)
    r = t.pub("-t", "file/x", "-f", os.path.join(workdir, "missing.bin"), check_ok=False)
    check(r.returncode == 1, "missing file: exit %d" % r.returncode)
    check(r.stderr.startswith(b"Error: Unable to read file"), "missing file: %r" % r.stderr)


def case_large_file_streamed(t, workdir):
    # Larger than mqtt-sub's 64 KiB receive buffer: the client streams it in pieces.
    data = bytes((i * 31 + i // 256) % 256 for i in range(200 * 1024))
    path = os.path.join(workdir, "large.bin")
    with open(path, "wb") as f:
        f.write(data)
    for version, qos in (("311", "1"), ("5", "2")):
        topic = "large/" + version
        sub = t.start_sub("-V", version, "-t", topic, "-q", "2", "-C", "2", "-v")
        t.pub("-V", version, "-t", topic, "-q", qos, "-f", path)
        t.pub("-V", version, "-t", topic, "-q", qos, "-m", "small after")
        out, _ = t.finish(sub, timeout=30)
        expect = topic.encode() + b" " + data + b"\n" + topic.encode() + b" small after\n"
        check(out == expect, "streamed message: %d bytes printed, expected %d" % (len(out), len(expect)))
    # Too large for mqtt-pub's transmit buffer: refused before connecting.
    big = os.path.join(workdir, "too-large.bin")
    with open(big, "wb") as f:
        f.write(b"x" * (300 * 1024))
    r = t.pub("-t", "large/x", "-f", big, check_ok=False)
    check(r.returncode == 1 and b"at most" in r.stderr, "too large: exit %d, %r" % (r.returncode, r.stderr))


def case_user_property(t):
    sub = t.start_sub("-V", "mqttv5", "-t", "props/user", "-C", "1", "-F", "%t|%p|%P", tool="mosquitto_sub")
    t.pub("-V", "5", "-t", "props/user", "-m", "hi", "-D", "publish", "user-property", "k", "v",
          "-D", "publish", "user-property", "name two", "value two")
    out, _ = t.finish(sub, timeout=20)
    check(out == b"props/user|hi|k:v name two:value two\n", "user properties: got %r" % out)


def case_properties_v5(t):
    sub = t.start_sub("-V", "mqttv5", "-t", "props/all", "-q", "1", "-C", "1", "-F", "%p|%C|%D|%E|%R",
                      tool="mosquitto_sub")
    t.pub("-V", "5", "-t", "props/all", "-q", "1", "-m", "m",
          "-D", "publish", "content-type", "text/plain",
          "-D", "publish", "correlation-data", "corr-1",
          "-D", "publish", "message-expiry-interval", "3600",
          "-D", "publish", "response-topic", "replies/here",
          "-D", "publish", "payload-format-indicator", "1",
          "-D", "connect", "user-property", "who", "test",
          "-D", "disconnect", "reason-string", "done")
    out, _ = t.finish(sub, timeout=20)
    # The broker counts the expiry down; it may show 3599 after a second.
    check(out.startswith(b"m|text/plain|corr-1|") and out.endswith(b"|replies/here\n"), "properties: got %r" % out)
    # Subscription identifier and session expiry on our subscriber.
    sub = t.start_sub("-V", "5", "-t", "props/sid", "-C", "1", "-D", "subscribe", "subscription-identifier", "7",
                      "-D", "connect", "session-expiry-interval", "0")
    t.pub("-V", "5", "-t", "props/sid", "-m", "with id")
    out, _ = t.finish(sub, timeout=20)
    check(out == b"with id\n", "subscription identifier: got %r" % out)
    # Refused properties: wrong packet, set by the client, bad value, 3.1.1.
    for args, words in (
        (["-D", "publish", "subscription-identifier", "1"], b"not allowed in publish"),
        (["-D", "connect", "receive-maximum", "10"], b"set by the client"),
        (["-D", "publish", "topic-alias", "1"], b"set by the client"),
        (["-D", "publish", "message-expiry-interval", "x"], b"invalid value"),
        (["-D", "publish", "no-such-property", "1"], b"Invalid property identifier"),
        (["-D", "subscribe", "user-property", "a", "b"], b"Invalid command"),
    ):
        r = t.pub("-V", "5", "-t", "props/x", "-m", "m", *args, check_ok=False)
        check(r.returncode == 1 and r.stderr.startswith(b"Error: ") and words in r.stderr,
              "%s: exit %d, %r" % (" ".join(args), r.returncode, r.stderr))
    r = t.pub("-t", "props/x", "-m", "m", "-D", "publish", "content-type", "a", check_ok=False)
    check(r.returncode == 1 and b"MQTT 5.0" in r.stderr, "-D with 3.1.1: %r" % r.stderr)


def case_sub_options(t):
    # Two filters, -T filters one topic out, -C counts only the printed messages.
    sub = t.start_sub("-t", "opts/a/#", "-t", "opts/b", "-T", "opts/a/skip", "-v", "-C", "3")
    for topic, msg in (("opts/a/1", "one"), ("opts/a/skip", "hidden"), ("opts/b", "two"), ("opts/a/2", "three")):
        t.pub("-t", topic, "-q", "1", "-m", msg)
    out, _ = t.finish(sub, timeout=20)
    check(out == b"opts/a/1 one\nopts/b two\nopts/a/2 three\n", "-t -t -T -C: got %r" % out)
    # -N: no newline.
    sub = t.start_sub("-t", "opts/n", "-N", "-C", "2")
    t.pub("-t", "opts/n", "-q", "1", "-m", "x")
    t.pub("-t", "opts/n", "-q", "1", "-m", "y")
    out, _ = t.finish(sub, timeout=20)
    check(out == b"xy", "-N: got %r" % out)
    # -E: exit once subscribed.
    cid = t.client_id("sub-e")
    r = subprocess.run([t.sub_path, "-p", str(t.broker.port), "-i", cid, "-t", "opts/e", "-E"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    check(r.returncode == 0 and r.stdout == b"", "-E: exit %d, %r" % (r.returncode, r.stderr))
    # -c: a persistent session keeps QoS 1 messages published while we were away.
    for version in ("311", "5"):
        cid = t.client_id("persist")
        topic = "opts/persist/" + version
        sub = t.start_sub("-V", version, "-c", "-q", "1", "-t", topic, "-E", client_id=cid)
        t.finish(sub, timeout=20)
        t.pub("-V", version, "-t", topic, "-q", "1", "-m", "while away")
        sub = t.start_sub("-V", version, "-c", "-q", "1", "-t", topic, "-C", "1", client_id=cid, wait=False)
        out, _ = t.finish(sub, timeout=20)
        check(out == b"while away\n", "-c over %s: got %r" % (version, out))
        # Clean up the session: a clean connect ends it.
        sub = t.start_sub("-V", version, "-t", topic, "-E", client_id=cid)
        t.finish(sub, timeout=20)


def case_timeout(t):
    sub = t.start_sub("-t", "timeout/none", "-W", "1")
    start = time.time()
    out, err = t.finish(sub, timeout=20, expect_status=27)
    took = time.time() - start
    check(err == b"Timed out\n", "-W: stderr %r" % err)
    check(took < 5, "-W 1 took %.1f s" % took)


def case_will(t):
    watcher = t.start_sub("-t", "will/topic", "-C", "1", "-v", "-q", "1")
    victim = t.start_sub("-t", "will/other", "--will-topic", "will/topic", "--will-payload", "gone",
                         "--will-qos", "1", "-V", "5")
    victim.send_signal(signal.SIGKILL)
    victim.communicate()
    out, _ = t.finish(watcher, timeout=20)
    check(out == b"will/topic gone\n", "will: got %r" % out)
    # A clean DISCONNECT discards the Will.
    watcher = t.start_sub("-t", "will/clean", "-W", "2")
    t.pub("-t", "will/unused", "-m", "x", "--will-topic", "will/clean", "--will-payload", "must not appear")
    out, _ = t.finish(watcher, timeout=20, expect_status=27)
    check(out == b"", "a Will after a clean disconnect: %r" % out)


def case_refused_publish(t, args, workdir):
    # An ACL that allows only ok/#: mosquitto answers other QoS 1 and 2 publications in 5.0 with
    # PUBACK / PUBREC 0x87, which mqtt-pub reports, exit 1; 3.1.1 has no way to say it (exit 0,
    # as mosquitto_pub).
    acl = os.path.join(workdir, "acl")
    with open(acl, "w") as f:
        f.write("topic readwrite ok/#\n")
    os.chmod(acl, 0o644)
    broker = Broker(args.mosquitto, workdir, extra="acl_file %s\n" % acl)
    try:
        tt = Tools(args, broker)
        r = tt.pub("-V", "5", "-t", "denied", "-q", "1", "-m", "x", check_ok=False)
        check(r.returncode == 1, "QoS 1 refused: exit %d" % r.returncode)
        check(r.stderr == b"Error: the server refused 1 of 1 messages (the last with Not authorized, 0x87). "
                          b"Published 1: 0 acknowledged, 1 refused, 0 not acknowledged (not delivered, or not "
                          b"known to be).\n", "QoS 1 refused: %r" % r.stderr)
        r = tt.pub("-V", "5", "-t", "denied", "-q", "2", "-l", input=b"a\nb\nc\n", check_ok=False)
        check(r.returncode == 1 and b"refused 3 of 3 messages" in r.stderr, "QoS 2 -l refused: %d %r"
              % (r.returncode, r.stderr))
        tt.pub("-V", "311", "-t", "denied", "-q", "1", "-m", "x")
        tt.pub("-V", "5", "-t", "ok/1", "-q", "2", "-m", "x")
    finally:
        broker.stop()


def case_connect_refused_port(t):
    port = free_port()  # nothing listens there
    for tool, extra in ((t.pub_path, ["-m", "x"]), (t.sub_path, [])):
        r = subprocess.run([tool, "-h", "127.0.0.1", "-p", str(port), "-t", "a"] + extra,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        check(r.returncode == 1, "%s: exit %d" % (tool, r.returncode))
        check(r.stderr.startswith(b"Error: connection refused"), "%s: %r" % (tool, r.stderr))
    r = subprocess.run([t.pub_path, "-h", "no-such-host.invalid", "-t", "a", "-m", "x"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    check(r.returncode == 1 and r.stderr.startswith(b"Error: cannot resolve host"), "bad host: %r" % r.stderr)


def case_connack_refused(t, args, workdir):
    closed = Broker(args.mosquitto, workdir, allow_anonymous=False)
    try:
        for version, status in (("311", 5), ("5", 135)):
            for tool, extra in ((t.pub_path, ["-m", "x"]), (t.sub_path, [])):
                r = subprocess.run([tool, "-p", str(closed.port), "-V", version, "-t", "a"] + extra,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
                check(r.returncode == status, "%s -V %s: exit %d, expected %d (%r)"
                      % (tool, version, r.returncode, status, r.stderr))
                check(r.stderr == b"Error: Connection refused: not authorised.\n", "%s: %r" % (tool, r.stderr))
        r = subprocess.run([t.pub_path, "-p", str(closed.port), "-t", "a", "-m", "x", "--quiet"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        check(r.returncode == 5 and r.stderr == b"", "--quiet: %d %r" % (r.returncode, r.stderr))
    finally:
        closed.stop()


def case_bad_arguments(t):
    cases = [
        (t.pub_path, ["-t", "a", "-m", "x", "--bogus"], b"Error: Unknown option '--bogus'."),
        (t.pub_path, ["-t", "a", "-m", "x", "-q", "3"], b"Error: Invalid QoS given: 3"),
        (t.pub_path, ["-t", "a", "-m", "x", "-p", "0"], b"Error: Invalid port given: 0"),
        (t.pub_path, ["-t", "a", "-m", "x", "-p", "65536"], b"Error: Invalid port given: 65536"),
        (t.pub_path, ["-m", "x"], b"Error: Both topic and message must be supplied."),
        (t.pub_path, ["-t", "a"], b"Error: Both topic and message must be supplied."),
        (t.pub_path, ["-t", "a", "-m", "x", "-n"], b"Error: Only one type of message can be sent at once."),
        (t.pub_path, ["-t", "a/#", "-m", "x"], b"Error: Invalid publish topic 'a/#'"),
        (t.pub_path, ["-t", "a", "-m", "x", "-V", "4"], b"Error: Invalid protocol version"),
        (t.pub_path, ["-t", "a", "-m", "x", "-x", "60"], b"Error: -x (session expiry interval) needs MQTT 5.0"),
        (t.pub_path, ["-t", "a", "-m", "x", "--will-qos", "1"], b"no will topic given"),
        (t.pub_path, ["-t", "a", "-m", "x", "--cert", "c.pem"], b"Both certfile and keyfile"),
        (t.pub_path, ["-t", "a", "-m", "x", "-k", "70000"], b"Error: Invalid keepalive"),
        (t.pub_path, ["-t", "a", "-m"], b"Error: -m argument given but no value specified."),
        (t.pub_path, ["-t", "a", "-m", "x", "-C", "1"], b"Error: Unknown option '-C'."),
        (t.sub_path, [], b"Error: You must specify a topic to subscribe to."),
        (t.sub_path, ["-t", "a/#/b"], b"Error: Invalid subscription topic 'a/#/b'"),
        (t.sub_path, ["-t", "a", "-C", "0"], b"Error: Invalid message count given: 0"),
        (t.sub_path, ["-t", "a", "-W", "x"], b"Error: Invalid timeout given: x"),
        (t.sub_path, ["-t", "a", "-m", "x"], b"Error: Unknown option '-m'."),
        (t.sub_path, ["-t", "a", "-D", "publish", "content-type", "x", "-V", "5"], b"Error: Invalid command 'publish'"),
    ]
    for tool, args, words in cases:
        r = run_plain(tool, "-p", str(t.broker.port), *args)
        name = os.path.basename(tool) + " " + " ".join(args)
        check(r.returncode == 1, "%s: exit %d, expected 1 (%r)" % (name, r.returncode, r.stderr))
        check(r.stderr.startswith(b"Error: ") and words in r.stderr.split(b"\n")[0],
              "%s: stderr %r, expected an error line with %r" % (name, r.stderr, words))
        check(r.stdout == b"", "%s: wrote to stdout" % name)
        usage_hint = b"Use '%s --help' to see usage." % os.path.basename(tool).encode()
        if b"Invalid command" not in words and b"MQTT 5.0" not in words:
            check(usage_hint in r.stderr, "%s: no usage hint in %r" % (name, r.stderr))


def case_help(t):
    for tool in (t.pub_path, t.sub_path):
        r = run_plain(tool, "--help")
        check(r.returncode == 0, "--help: exit %d" % r.returncode)
        check(b"Usage: " + os.path.basename(tool).encode() in r.stdout, "--help: %r" % r.stdout[:200])
        check(r.stderr == b"", "--help wrote to stderr")


def case_debug(t):
    sub = t.start_sub("-t", "debug/t", "-q", "2", "-C", "1")
    cid = t.client_id("pub-d")
    r = t.pub("-t", "debug/t", "-q", "2", "-m", "dbg", "-d", "-i", cid)
    out, _ = t.finish(sub, timeout=20)
    check(out == b"dbg\n", "-d message: %r" % out)
    err = r.stderr.decode()
    for expect in ("Client %s sending CONNECT" % cid,
                   "Client %s received CONNACK (0)" % cid,
                   "Client %s sending PUBLISH (d0, q2, r0, m1, 'debug/t', ... (3 bytes))" % cid,
                   "Client %s received PUBREC (Mid: 1, RC:0)" % cid,
                   "Client %s sending PUBREL (m1)" % cid,
                   "Client %s received PUBCOMP (Mid: 1, RC:0)" % cid,
                   "Client %s event: publish completed" % cid,
                   "Client %s sending DISCONNECT" % cid):
        check(expect in err, "-d output lacks %r:\n%s" % (expect, err))
    check(r.stdout == b"", "-d wrote to stdout")


def make_certs(workdir):
    """A CA, a server certificate for localhost signed by it, and an unrelated CA."""
    if shutil.which("openssl") is None:
        raise Failure("openssl not found (Debian package openssl)")
    d = os.path.join(workdir, "certs")
    os.mkdir(d)

    def run(*cmd):
        subprocess.run(["openssl"] + list(cmd), cwd=d, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    for ca in ("ca", "other-ca"):
        run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ca + ".key")
        run("req", "-new", "-x509", "-key", ca + ".key", "-out", ca + ".pem", "-days", "30", "-subj",
            "/CN=sansmqtt tools test " + ca, "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "server.key")
    run("req", "-new", "-key", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
                "basicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "30", "-sha256", "-extfile", "server.ext")
    for name in os.listdir(d):
        os.chmod(os.path.join(d, name), 0o644)
    os.chmod(d, 0o755)
    return d


def tls_broker(args, workdir):
    """A mosquitto with a plain listener and a TLS one (certificates of make_certs()), listening."""
    certs = make_certs(workdir)
    tls_port = free_port()
    listener = ["listener %d 127.0.0.1" % tls_port,
                "cafile " + os.path.join(certs, "ca.pem"),
                "certfile " + os.path.join(certs, "server.pem"),
                "keyfile " + os.path.join(certs, "server.key")]
    broker = Broker(args.mosquitto, workdir, listeners=[listener])
    try:
        broker._wait_listening(tls_port)
    except Failure:
        broker.stop()
        raise
    return certs, tls_port, broker


def case_tls_smoke(t, args, workdir):
    certs, tls_port, broker = tls_broker(args, workdir)
    try:
        tt = Tools(args, broker)
        ca = os.path.join(certs, "ca.pem")
        tls = ["-h", "localhost", "--cafile", ca]
        for version in ("311", "5"):
            topic = "tls/" + version
            sub = tt.start_sub("-V", version, "-t", topic, "-q", "1", "-C", "1", *tls, port=tls_port)
            tt.pub("-V", version, "-t", topic, "-q", "1", "-m", "over tls", *tls, port=tls_port)
            out, _ = tt.finish(sub, timeout=20)
            check(out == b"over tls\n", "TLS %s: got %r" % (version, out))
        # Lines over TLS, QoS 1.
        lines = ["tls line %d" % i for i in range(2000)]
        sub = tt.start_sub("-V", "5", "-t", "tls/lines", "-q", "1", "-C", str(len(lines)), *tls, port=tls_port)
        tt.pub("-V", "5", "-t", "tls/lines", "-q", "1", "-l", *tls, port=tls_port,
               input=("\n".join(lines) + "\n").encode())
        out, _ = tt.finish(sub, timeout=60)
        check(out.decode().split("\n")[:-1] == lines, "TLS lines differ")
        # A server certificate from a CA we do not trust: a TLS error, exit 1.
        r = tt.pub("-t", "tls/x", "-m", "x", "-h", "localhost", "--cafile", os.path.join(certs, "other-ca.pem"),
                   port=tls_port, check_ok=False)
        check(r.returncode == 1 and r.stderr.startswith(b"Error: TLS") and b"unknown CA" in r.stderr,
              "untrusted CA: %d %r" % (r.returncode, r.stderr))
        # TLS options and no -p: port 8883, as mosquitto_pub (nothing listens there in the test).
        r = subprocess.run([tt.pub_path, "-t", "tls/x", "-m", "x", "-h", "127.0.0.1", "--cafile", ca],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        check(r.returncode == 1 and b"port 8883" in r.stderr, "default TLS port: %d %r" % (r.returncode, r.stderr))
    finally:
        broker.stop()
    return 0


def case_tls_insecure(t, args, workdir):
    """--insecure means what it means to mosquitto_pub: skip the host-name check and nothing else.
    A certificate for another name is accepted; one from an unknown CA is still refused; without
    --cafile the tools stay on plain TCP (they never open unverified TLS)."""
    certs, tls_port, broker = tls_broker(args, workdir)
    try:
        tt = Tools(args, broker)
        ca = os.path.join(certs, "ca.pem")
        other = ["-h", "localhost", "--tls-server-name", "other.example"]  # the certificate is for localhost
        # Without --insecure the name is checked: refused.
        r = tt.pub("-t", "tls/insecure", "-m", "x", "--cafile", ca, *other, port=tls_port, check_ok=False)
        check(r.returncode == 1 and b"name mismatch" in r.stderr, "name check on: %d %r" % (r.returncode, r.stderr))
        # With it, the wrong name is accepted (with a warning) and the message arrives.
        for tool_args in (["-V", "311"], ["-V", "5"]):
            sub = tt.start_sub(*tool_args, "-t", "tls/insecure", "-q", "1", "-C", "1", "--cafile", ca, "--insecure",
                               *other, port=tls_port)
            r = tt.pub(*tool_args, "-t", "tls/insecure", "-q", "1", "-m", "wrong name", "--cafile", ca,
                       "--insecure", *other, port=tls_port)
            check(b"warning: insecure TLS: the server certificate's name is not checked" in r.stderr,
                  "no warning: %r" % r.stderr)
            out, _ = tt.finish(sub, timeout=20)
            check(out == b"wrong name\n", "insecure, wrong name %s: got %r" % (tool_args, out))
        # An unknown CA stays refused, name check or not, for both tools.
        rogue = os.path.join(certs, "other-ca.pem")
        for tool, what in ((tt.pub_path, ["-m", "x"]), (tt.sub_path, ["-C", "1"])):
            r = subprocess.run([tool, "-p", str(tls_port), "-t", "tls/insecure", *what, "--cafile", rogue, "--insecure",
                                *other], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
            check(r.returncode == 1 and b"unknown CA" in r.stderr,
                  "%s --insecure, unknown CA: %d %r" % (os.path.basename(tool), r.returncode, r.stderr))
        # --insecure without --cafile: plain TCP (port 1883 by default, here the broker's plain port).
        sub = tt.start_sub("-t", "tls/plain", "-C", "1")
        r = tt.pub("-t", "tls/plain", "-m", "plain", "--insecure")
        check(b"warning" not in r.stderr, "plain TCP warned: %r" % r.stderr)
        out, _ = tt.finish(sub, timeout=20)
        check(out == b"plain\n", "--insecure alone: got %r" % out)
        # ... so against the TLS port it fails: it never opens unverified TLS.
        r = tt.pub("-t", "tls/plain", "-m", "x", "--insecure", port=tls_port, check_ok=False, timeout=30)
        check(r.returncode != 0, "--insecure alone against a TLS listener exited 0")
    finally:
        broker.stop()
    return 0


def case_qos0_no_stall(t):
    """100,000 QoS 0 lines with keep alive off: nothing acknowledges QoS 0, so only the loop itself
    can carry on once a full transmit buffer was written; mqtt-pub must not wait for a timer."""
    data = b"".join(b"%039d\n" % i for i in range(100000))
    sub = t.start_sub("-V", "5", "-t", "stall/q0", "-q", "0", "-C", "100000")
    start = time.time()
    try:
        t.pub("-V", "311", "-k", "0", "-t", "stall/q0", "-q", "0", "-l", input=data, timeout=30)
    except subprocess.TimeoutExpired:
        sub.kill()
        raise Failure("mqtt-pub -q 0 -l -k 0 did not finish 100,000 lines in 30 s (the loop stalled)")
    took = time.time() - start
    out, _ = t.finish(sub, timeout=60)
    check(out.count(b"\n") == 100000, "%d of 100000 lines arrived" % out.count(b"\n"))
    print("100000 QoS 0 lines, keep alive off: mqtt-pub %.2f s" % took)


CASES = {
    "qos0-no-stall": lambda t, a, w: case_qos0_no_stall(t),
    "roundtrip-v311": lambda t, a, w: roundtrip(t, "311"),
    "roundtrip-v5": lambda t, a, w: roundtrip(t, "5"),
    "lines-qos0": lambda t, a, w: lines_case(t, 0, [("311", "5", 2), ("5", "5", 2)]),
    "lines-qos1": lambda t, a, w: lines_case(t, 1, [("311", "5", 2), ("5", "5", 2), ("311", "311", 1)]),
    "lines-qos2": lambda t, a, w: lines_case(t, 2, [("311", "5", 2), ("5", "5", 2), ("5", "311", 2),
                                                    ("311", "5", 2, ["-M", "5"])]),
    "retain": lambda t, a, w: case_retain(t),
    "null-message": lambda t, a, w: case_null_message(t),
    "file": lambda t, a, w: case_file(t, w),
    "large-file-streamed": lambda t, a, w: case_large_file_streamed(t, w),
    "user-property": lambda t, a, w: case_user_property(t),
    "properties-v5": lambda t, a, w: case_properties_v5(t),
    "sub-options": lambda t, a, w: case_sub_options(t),
    "timeout": lambda t, a, w: case_timeout(t),
    "will": lambda t, a, w: case_will(t),
    "refused-publish": lambda t, a, w: case_refused_publish(t, a, w),
    "connect-refused-port": lambda t, a, w: case_connect_refused_port(t),
    "connack-refused": lambda t, a, w: case_connack_refused(t, a, w),
    "bad-arguments": lambda t, a, w: case_bad_arguments(t),
    "help": lambda t, a, w: case_help(t),
    "debug": lambda t, a, w: case_debug(t),
    "tls-smoke": lambda t, a, w: case_tls_smoke(t, a, w),
    "tls-insecure": lambda t, a, w: case_tls_insecure(t, a, w),
}


# Extra broker configuration per case (see the module comment).
BROKER_CONF = {
    "lines-qos2": "max_inflight_messages 0\n",
}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--case", required=True, choices=sorted(CASES))
    p.add_argument("--pub", required=True)
    p.add_argument("--sub", required=True)
    p.add_argument("--mosquitto", default="/usr/sbin/mosquitto")
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()
    if not os.path.exists(args.mosquitto):
        print("%s: FAILED: mosquitto not found at %s (Debian package mosquitto)" % (args.case, args.mosquitto))
        return 1
    needs_clients = args.case in ("roundtrip-v311", "roundtrip-v5", "user-property", "properties-v5")
    if needs_clients and (shutil.which("mosquitto_sub") is None or shutil.which("mosquitto_pub") is None):
        print("%s: FAILED: mosquitto_sub / mosquitto_pub not found (Debian package mosquitto-clients)" % args.case)
        return 1
    workdir = tempfile.mkdtemp(prefix="sansmqtt-tools-")
    os.chmod(workdir, 0o755)
    broker = None
    try:
        broker = Broker(args.mosquitto, workdir, extra=BROKER_CONF.get(args.case, ""))
        if args.keep:
            print("mosquitto on 127.0.0.1:%d; Enter stops it" % broker.port)
            sys.stdin.readline()
            return 0
        CASES[args.case](Tools(args, broker), args, workdir)
        print("%s: passed" % args.case)
        return 0
    except Failure as e:
        print("%s: FAILED: %s" % (args.case, e))
        if broker is not None:
            print("broker log (last lines):\n" + "\n".join(broker.lines[-20:]))
        return 1
    finally:
        if broker is not None:
            broker.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
