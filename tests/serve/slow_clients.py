#!/usr/bin/env python3
"""Slow clients against `aipm serve` while a legitimate scraper polls.

    slow_clients.py PORT over       540 sockets from 9 addresses (127.0.0.2 to
                                    127.0.0.10, 60 each) that send their
                                    request one byte every 3 s, never ending
                                    it: more than the server's 512 slots
    slow_clients.py PORT loopback   64 sockets from 127.0.0.1 that send half a
                                    request and then nothing: the per-address
                                    bound, from the scraper's own address
    slow_clients.py PORT deadline   480 sockets from 8 addresses dripping as
                                    in `over`: within every bound, so only
                                    the request-head deadline can close them

Options: --seconds S (the attack's length), --reconnect S (how soon a
closed attacker reconnects: 0.1 s by default, 0 for bench/serve_attack.sh's
worst case, at once).

The attackers run in a child process (so their loop does not slow the
scraper's clock) and reconnect soon after the server closes one of them,
so the pressure lasts the whole attack. Meanwhile a scraper on 127.0.0.1
(the README's Prometheus target) polls /metrics every 0.25 s, alternately
on a fresh connection and on one kept-alive connection, as Prometheus does.

Prints the figures, then "ok -"/"not ok -" lines; exits 1 if any failed:
- the attack really held its sockets (else the rest would prove nothing);
- every scrape was answered 200 with aipm_up 1 within SCRAPE_TIMEOUT_S,
  and the scraper's kept-alive connection was never closed under it;
- deadline: the server closed every attacking socket within DEADLINE_S +
  GRACE_S of its connect, and nine in ten of the first wave no sooner
  than the deadline (so it was the deadline that closed them).

Durations are bounded (MODES) and the only times compared are generous
deadlines, so a loaded machine makes it slower, not flaky.
"""
import argparse
import json
import os
import selectors
import socket
import subprocess
import sys
import time

HOST = "127.0.0.1"
DEADLINE_S = 10.0     # aipm serve's request-head deadline (HEAD_DEADLINE_S)
GRACE_S = 4.0         # how late a cut may come on a loaded machine
SCRAPE_TIMEOUT_S = 5.0
SCRAPE_EVERY_S = 0.25
RECONNECT_S = 0.1
DRIP_S = 3.0
REQUEST = b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
# mode: (addresses, sockets per address, dripping?, seconds)
MODES = {
    "over": (["127.0.0.%d" % (2 + i) for i in range(9)], 60, True, 8.0),
    "loopback": ([HOST], 64, False, 8.0),
    "deadline": (["127.0.0.%d" % (2 + i) for i in range(8)], 60, True, DEADLINE_S + GRACE_S + 1.0),
}


def plan(mode):
    """The source address of each attacking socket."""
    addrs, per, _, _ = MODES[mode]
    return [a for a in addrs for _ in range(per)]


# ---------------------------------------------------------------- attacker
class Slot:
    def __init__(self, src):
        self.src, self.sock, self.opened, self.sent, self.next_send, self.wave = src, None, 0.0, 0, 0.0, 0


def attack(port, mode, attack_s, reconnect_s):
    """Hold the planned sockets for attack_s, reconnecting closed ones
    reconnect_s after; print one JSON line of what the server did."""
    sel = selectors.DefaultSelector()
    slots = [Slot(s) for s in plan(mode)]
    dripping = MODES[mode][2]
    drip = REQUEST + b"X-Slow: " + b"a" * 100000
    lifetimes, first_wave, connects, peak, refused = [], [], 0, 0, 0
    start = time.monotonic()
    ready_said = False

    def closed(slot, now):
        sel.unregister(slot.sock)
        slot.sock.close()
        slot.sock = None
        lifetimes.append(now - slot.opened)
        if slot.wave == 1:
            first_wave.append(now - slot.opened)
        slot.next_send = now + reconnect_s  # when to reconnect

    while True:
        now = time.monotonic()
        if now - start >= attack_s:
            break
        for i, slot in enumerate(slots):
            if slot.sock is None and slot.next_send <= now:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                try:
                    s.bind((slot.src, 0))
                    s.connect_ex((HOST, port))
                except OSError:
                    s.close()
                    refused += 1
                    continue
                slot.sock, slot.opened, slot.sent, slot.wave = s, now, 0, slot.wave + 1
                # Stagger the drips so they do not arrive in one burst.
                slot.next_send = now + DRIP_S * (i % 100) / 100.0
                sel.register(s, selectors.EVENT_READ, slot)
                connects += 1
        open_now = sum(1 for s in slots if s.sock is not None)
        peak = max(peak, open_now)
        if not ready_said and open_now == len(slots):
            print("ready", flush=True)
            ready_said = True
        for key, _ in sel.select(timeout=0.05):
            slot = key.data
            try:
                if slot.sock.recv(65536):
                    continue  # an answer (an error page): the close follows
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                pass
            closed(slot, time.monotonic())
        now = time.monotonic()
        for slot in slots:
            if slot.sock is None or slot.next_send > now:
                continue
            if dripping:
                data, slot.next_send = drip[slot.sent:slot.sent + 1], now + DRIP_S
            else:
                data, slot.next_send = REQUEST, float("inf")
            try:
                slot.sent += slot.sock.send(data)
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                closed(slot, now)
    if not ready_said:
        print("ready", flush=True)
    now = time.monotonic()
    ages = [now - s.opened for s in slots if s.sock is not None]
    print(json.dumps({"lifetimes": lifetimes, "first_wave": first_wave, "open_ages": ages, "connects": connects,
                      "peak": peak, "planned": len(slots), "refused": refused}), flush=True)


# ----------------------------------------------------------------- scraper
def read_response(s, deadline):
    """One HTTP response from s: (status, body), or None if the server
    closed before the first byte (the kept-alive connection had been
    closed: HTTP lets a client retry then)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        c = s.recv(65536)
        if not c:
            if buf:
                raise ConnectionError("closed inside the response head")
            return None
        buf += c
    head, _, body = buf.partition(b"\r\n\r\n")
    length = None
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while length is None or len(body) < length:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        c = s.recv(65536)
        if not c:
            if length is None:
                break
            raise ConnectionError("closed inside the body")
        body += c
    return int(head.split(b" ", 2)[1]), body


class Scraper:
    def __init__(self, port):
        self.port, self.kept = port, None
        self.latencies, self.failures, self.retried, self.fresh, self.kept_n = [], [], 0, 0, 0

    def _connect(self, deadline):
        return socket.create_connection((HOST, self.port), timeout=max(0.01, deadline - time.monotonic()),
                                        source_address=(HOST, 0))

    def scrape(self, keep_alive):
        t0 = time.monotonic()
        deadline = t0 + SCRAPE_TIMEOUT_S
        try:
            if keep_alive:
                self.kept_n += 1
                r = None
                for attempt in range(2):
                    if self.kept is None:
                        self.kept = self._connect(deadline)
                    try:
                        self.kept.sendall(REQUEST + b"\r\n")
                        r = read_response(self.kept, deadline)
                    except (BrokenPipeError, ConnectionResetError):
                        r = None
                    if r is not None:
                        break
                    self.kept.close()
                    self.kept = None
                    self.retried += attempt == 0
            else:
                self.fresh += 1
                with self._connect(deadline) as s:
                    s.sendall(REQUEST + b"Connection: close\r\n\r\n")
                    r = read_response(s, deadline)
            ok = r is not None and r[0] == 200 and b"\naipm_up 1\n" in b"\n" + r[1]
            why = "" if ok else ("no answer" if r is None else "status %d" % r[0])
        except (OSError, ValueError, IndexError) as e:
            ok, why = False, "%s: %s" % (type(e).__name__, e)
            if keep_alive and self.kept is not None:
                self.kept.close()
                self.kept = None
        dt = time.monotonic() - t0
        if ok:
            self.latencies.append(dt)
        else:
            self.failures.append("%s after %.2f s" % (why, dt))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("port", type=int)
    ap.add_argument("mode", choices=sorted(MODES))
    ap.add_argument("--seconds", type=float, help="how long the attack lasts (default: the mode's)")
    ap.add_argument("--reconnect", type=float, default=RECONNECT_S,
                    help="seconds before a closed socket reconnects (default %(default)s; 0: at once)")
    ap.add_argument("--attacker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    port, mode = a.port, a.mode
    addrs, per, dripping, attack_s = MODES[mode]
    attack_s = a.seconds or attack_s
    if a.attacker:
        attack(port, mode, attack_s, a.reconnect)
        return 0
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), str(port), mode, "--attacker",
                              "--seconds", str(attack_s), "--reconnect", str(a.reconnect)],
                             stdout=subprocess.PIPE, text=True)
    try:
        first = child.stdout.readline()  # "ready": every planned socket connected once
        sc = Scraper(port)
        t_stop = time.monotonic() + attack_s - 1.5
        n = 0
        while time.monotonic() < t_stop:
            t_next = time.monotonic() + SCRAPE_EVERY_S
            sc.scrape(keep_alive=n % 2 == 1)
            n += 1
            time.sleep(max(0.0, t_next - time.monotonic()))
        out, _ = child.communicate(timeout=attack_s + 30)
    finally:
        if child.poll() is None:
            child.kill()  # by pid: our own child
            child.wait()
    if sc.kept is not None:
        sc.kept.close()
    res = json.loads(out.strip().splitlines()[-1]) if out.strip() else None

    failures = 0

    def result(ok, what):
        nonlocal failures
        print(("ok - " if ok else "not ok - ") + what)
        failures += not ok

    print("%s: %d sockets from %s, %s, for %.0f s" % (
        mode, len(addrs) * per, addrs[0] if len(addrs) == 1 else "%d addresses, %s to %s (%d each)" % (
            len(addrs), addrs[0], addrs[-1], per),
        "one byte every %.0f s, never ending the request" % DRIP_S if dripping
        else "half a request each, then silence", attack_s))
    if res is None:
        result(False, "the attacker reported nothing (started: %r)" % first)
        return 1
    life, ages, wave1 = res["lifetimes"], res["open_ages"], res["first_wave"]
    late = [x for x in wave1 if x >= DEADLINE_S - 0.5]
    waves = ""
    if late:
        waves = " (%d of the %d first ones %.1f to %.1f s after their connect)" % (
            len(late), res["planned"], min(late), max(late))
    print("  attackers: %d connects, at most %d of %d sockets open at once; the server closed %d of them%s; "
          "%d open at the end, the oldest %.1f s old" % (
              res["connects"], res["peak"], res["planned"], len(life), waves, len(ages),
              max(ages, default=0.0)))
    total = len(sc.latencies) + len(sc.failures)
    print("  scraper on %s: %d of %d scrapes answered (%d on fresh connections, %d kept alive, %d retried "
          "after the server had closed the idle one); latency p50 %.1f ms, p99 %.1f ms, max %.1f ms" % (
              HOST, len(sc.latencies), total, sc.fresh, sc.kept_n, sc.retried, 1000 * pct(sc.latencies, 0.5),
              1000 * pct(sc.latencies, 0.99), 1000 * max(sc.latencies, default=float("nan"))))
    for f in sc.failures[:10]:
        print("    failed scrape: " + f)
    result(res["peak"] >= 0.9 * res["planned"],
           "the attack held its sockets (at most %d of %d open at once)" % (res["peak"], res["planned"]))
    result(total >= 10 and not sc.failures,
           "every scrape during the %s attack answered within %.0f s (%d of %d)" % (
               mode, SCRAPE_TIMEOUT_S, len(sc.latencies), total))
    # Its gaps are 0.5 s, far from any deadline, and it holds one
    # connection: the server must never have closed it under the scraper.
    result(sc.retried == 0, "the scraper's kept-alive connection lasted the whole attack (closed under it %d "
           "times)" % sc.retried)
    if mode == "deadline" and attack_s > DEADLINE_S + GRACE_S:
        longest = max(life + ages, default=0.0)
        result(longest <= DEADLINE_S + GRACE_S,
               "the server closed every attacking socket within %.0f s of its connect (longest %.1f s)" % (
                   DEADLINE_S + GRACE_S, longest))
        result(len(late) >= 0.9 * res["planned"],
               "it was the %.0f s deadline: %d of the %d first sockets closed no sooner" % (
                   DEADLINE_S, len(late), res["planned"]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
