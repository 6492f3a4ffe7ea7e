#!/usr/bin/env python3
"""Admin write latency against a running Castellan, as the number of clients grows.

usage: admin-latency.py BASE_URL ADMIN_ID ADMIN_SECRET [SIZES] [SAMPLES]
  SIZES    comma-separated client counts to measure at (default 100,5000)
  SAMPLES  timed writes per size (default 200)

Creates clients through the admin API until the store holds each size, then times SAMPLES
writes of three kinds, one after another (PATCH a client's description, add a secret, create a
client), and prints one line per size and kind: median and p99 (nearest rank) in milliseconds.
Each size has its own target client (created just before it is measured), so that the secrets
added at one size do not pile up on the client measured at the next. Loopback only; bounded by
the sizes given.
"""
import base64
import json
import math
import statistics
import sys
import time
import urllib.parse
import urllib.request


def call(base, method, path, token=None, body=None, form=None, auth=None):
    headers = {}
    data = None
    if token:
        headers["Authorization"] = "Bearer " + token
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req) as res:
        text = res.read()
        return json.loads(text) if text else None


def main():
    base, admin_id, secret = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    host = urllib.parse.urlparse(base).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("loopback targets only")
    sizes = [int(s) for s in (sys.argv[4] if len(sys.argv) > 4 else "100,5000").split(",")]
    samples = int(sys.argv[5]) if len(sys.argv) > 5 else 200
    def new_token():
        return call(base, "POST", "/oauth2/token", form={"grant_type": "client_credentials"},
                    auth=f"{admin_id}:{secret}")["access_token"]

    token = new_token()
    token_at = time.monotonic()
    made = 1  # the admin itself
    serial = 0
    for size in sizes:
        while made < size - 1:  # leave room for this size's target
            if time.monotonic() - token_at > 60:  # a long fill outlives a 300 s token
                token, token_at = new_token(), time.monotonic()
            call(base, "POST", "/admin/v1/clients", token,
                 {"client_id": f"filler-{made}", "name": "filler"})
            made += 1
        target = call(base, "POST", "/admin/v1/clients", token,
                      {"client_id": f"latency-target-{size}-{made}", "name": "t"})["id"]
        made += 1
        # A fresh token: the first one may be near its expiry after a long fill.
        token, token_at = new_token(), time.monotonic()
        kinds = {
            "patch": lambda i: call(base, "PATCH", f"/admin/v1/clients/{target}", token,
                                    {"description": f"sample {i}"}),
            "add-secret": lambda i: call(base, "POST", f"/admin/v1/clients/{target}/secrets",
                                         token, {"name": f"s{i}"}),
            "create": None,
        }
        for kind, fn in kinds.items():
            times = []
            for i in range(samples):
                t0 = time.perf_counter()
                if fn is None:
                    serial += 1
                    call(base, "POST", "/admin/v1/clients", token,
                         {"client_id": f"sample-{size}-{serial}", "name": "s"})
                else:
                    fn(i)
                times.append((time.perf_counter() - t0) * 1000)
            if fn is None:
                made += samples
            times.sort()
            p99 = times[max(0, math.ceil(len(times) * 0.99) - 1)]
            print(f"clients={size} kind={kind} median_ms={statistics.median(times):.2f} "
                  f"p99_ms={p99:.2f}", flush=True)


if __name__ == "__main__":
    main()
