#!/usr/bin/env python3
"""A man in the middle between a device and the broker, on loopback, for scripts/demo.sh.

    mitm_proxy.py --listen PORT --target HOST:PORT [--capture FILE] [--flip-record N]

Accepts connections on 127.0.0.1:PORT and forwards each to the target, both ways.
--capture FILE   appends every byte forwarded, in both directions, to FILE: what anyone on the
                 path sees.
--flip-record N  parses the device's bytes as TLS records and flips one bit in the body of its
                 Nth application-data record (content type 23, 1-based): the byte in the middle
                 of the record's body, never the 5-byte record header. Records before and after
                 pass unchanged. With TLS that record is one MQTT packet (the wearable's first
                 record is CONNECT, the next ones are its readings).
Logs what it does on stdout, one line each ("mitm: ..."). Runs until killed.
"""
import argparse
import socket
import sys
import threading

APPLICATION_DATA = 23
capture_lock = threading.Lock()


def log(message):
    print("mitm: " + message, flush=True)


def record(capture, data):
    if capture:
        with capture_lock, open(capture, "ab") as f:
            f.write(data)


class Flipper:
    """Cuts the device's stream into TLS records and alters the body of the chosen one."""

    def __init__(self, which, conn_id):
        self.which, self.conn_id = which, conn_id
        self.buffer = bytearray()
        self.seen = 0
        self.raw = False  # the stream turned out not to be TLS: pass it through

    def feed(self, data):
        if self.raw:
            return bytes(data)
        self.buffer += data
        out = bytearray()
        while len(self.buffer) >= 5:
            content_type, length = self.buffer[0], (self.buffer[3] << 8) | self.buffer[4]
            if content_type not in (20, 21, 22, 23) or self.buffer[1] != 3:
                log(f"connection {self.conn_id}: not TLS, passing it through unchanged")
                self.raw = True
                out += self.buffer
                self.buffer.clear()
                break
            if len(self.buffer) < 5 + length:
                break  # wait for the whole record
            rec = self.buffer[: 5 + length]
            del self.buffer[: 5 + length]
            if content_type == APPLICATION_DATA:
                self.seen += 1
                if self.seen == self.which:
                    at = 5 + length // 2
                    before = rec[at]
                    rec[at] ^= 0x01
                    log(f"connection {self.conn_id}: flipped one bit of application-data record {self.seen} "
                        f"from the device: body byte {at - 5} of {length}, 0x{before:02x} -> 0x{rec[at]:02x}")
            out += rec
        return bytes(out)


def pump(src, dst, name, conn_id, capture, flipper, done):
    total = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                log(f"connection {conn_id}: {name}: closed after {total} bytes")
                break
            total += len(data)
            if flipper:
                data = flipper.feed(data)
            record(capture, data)
            if data:
                dst.sendall(data)
    except OSError as e:
        log(f"connection {conn_id}: {name}: {e.strerror or e} after {total} bytes")
    try:
        dst.shutdown(socket.SHUT_WR)  # pass the end of stream on
    except OSError:
        pass
    done.release()


def serve(client, conn_id, args):
    host, port = args.target.rsplit(":", 1)
    try:
        broker = socket.create_connection((host, int(port)), timeout=5)
        broker.settimeout(None)
    except OSError as e:
        log(f"connection {conn_id}: cannot reach the broker at {args.target}: {e}")
        client.close()
        return
    for s in (client, broker):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    log(f"connection {conn_id}: device connected, forwarding to {args.target}")
    flipper = Flipper(args.flip_record, conn_id) if args.flip_record else None
    done = threading.Semaphore(0)
    for src, dst, name, f in ((client, broker, "device -> broker", flipper), (broker, client, "broker -> device", None)):
        threading.Thread(target=pump, args=(src, dst, name, conn_id, args.capture, f, done), daemon=True).start()
    done.acquire()
    done.acquire()
    client.close()
    broker.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--listen", type=int, required=True)
    p.add_argument("--target", required=True, help="HOST:PORT of the broker")
    p.add_argument("--capture", help="append every forwarded byte to this file")
    p.add_argument("--flip-record", type=int, default=0, metavar="N")
    args = p.parse_args()
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", args.listen))
    server.listen(8)
    mode = f"flipping a bit of application-data record {args.flip_record}" if args.flip_record else "pass-through"
    log(f"listening on 127.0.0.1:{args.listen}, forwarding to {args.target} ({mode})")
    conn_id = 0
    while True:
        client, _ = server.accept()
        conn_id += 1
        threading.Thread(target=serve, args=(client, conn_id, args), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
