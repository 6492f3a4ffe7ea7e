#!/usr/bin/env python3
"""Organizations at scale against a running Castellan (loopback only).

usage: orgs-scale.py BASE_URL ADMIN_ID ADMIN_SECRET seed [VENDORS] [CUSTOMERS] [GROUPS] [ACCOUNTS]
       orgs-scale.py BASE_URL ADMIN_ID ADMIN_SECRET bench-client
       orgs-scale.py BASE_URL ADMIN_ID ADMIN_SECRET measure [SAMPLES]

seed          creates VENDORS vendor organizations (default 100), each with CUSTOMERS customer
              organizations (default 9: 1,000 organizations in all), GROUPS groups per
              organization (default 5: 5,000) and ACCOUNTS service accounts per organization
              (default 10: 10,000), each service account a member of one group of its
              organization; eight writers at once. Prints the counts and the time taken.
bench-client  creates (once) the service account `bench-ci` in its own organization, holding
              `deploy:write` only through a group, and prints its id and secret for the token
              load script (bench/token-load.sh).
measure       times SAMPLES (default 200) calls of each kind, one after another: the list of one
              organization's service accounts (GET /admin/v1/clients?org=SLUG), and a group
              membership change (POST a member, then DELETE it: two samples each); prints the
              median and p99 (nearest rank) in milliseconds.
"""
import base64
import json
import math
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

ADMIN_AUD = "urn:castellan:admin"


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
    try:
        with urllib.request.urlopen(req) as res:
            text = res.read()
            return json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        sys.exit(f"{method} {path}: {e.code} {e.read()[:300]!r}")


class Admin:
    def __init__(self, base, client_id, secret):
        self.base, self.client_id, self.secret = base, client_id, secret
        self.refresh()

    def refresh(self):
        self.token = call(self.base, "POST", "/oauth2/token",
                          form={"grant_type": "client_credentials", "resource": ADMIN_AUD,
                                "scope": "admin"},
                          auth=f"{self.client_id}:{self.secret}")["access_token"]
        self.at = time.monotonic()

    def __call__(self, method, path, body=None):
        if time.monotonic() - self.at > 240:
            self.refresh()
        return call(self.base, method, "/admin/v1" + path, token=self.token, body=body)


def seed(admin, vendors, customers, groups, accounts):
    started = time.monotonic()
    counts = {"orgs": 0, "groups": 0, "accounts": 0, "members": 0}

    def fill(org_slug):
        made = []
        for g in range(groups):
            made.append(admin("POST", "/groups", {"org_id": org_slug, "name": f"group-{g}",
                                                   "scopes": [f"{org_slug}:g{g}"]})["id"])
        counts["groups"] += groups
        for a in range(accounts):
            cid = f"{org_slug}-sa-{a}"
            admin("POST", "/clients", {"client_id": cid, "name": cid, "org_id": org_slug})
            admin("POST", f"/groups/{made[a % groups]}/members", {"principal": cid})
        counts["accounts"] += accounts
        counts["members"] += accounts

    def vendor(v):
        slug = f"vendor-{v}"
        vid = admin("POST", "/orgs", {"slug": slug, "name": slug})["id"]
        fill(slug)
        for c in range(customers):
            cslug = f"{slug}-customer-{c}"
            admin("POST", "/orgs", {"slug": cslug, "name": cslug, "parent_id": vid})
            fill(cslug)
        counts["orgs"] += 1 + customers

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(vendor, range(vendors)))
    print(f"seeded {counts} in {time.monotonic() - started:.1f} s")


def bench_client(admin):
    admin("POST", "/orgs", {"slug": "bench", "name": "bench"})
    group = admin("POST", "/groups", {"org_id": "bench", "name": "deployers",
                                       "scopes": ["deploy:write"],
                                       "audiences": ["https://deploy.example.com"]})["id"]
    created = admin("POST", "/clients", {"client_id": "bench-ci", "name": "bench-ci",
                                          "org_id": "bench"})
    admin("POST", f"/groups/{group}/members", {"principal": "bench-ci"})
    print(f"bench-ci {created['client_secret']}")


def timed(fn):
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def report(name, samples):
    samples.sort()
    p99 = samples[max(0, math.ceil(0.99 * len(samples)) - 1)]
    print(f"{name}: median_ms={statistics.median(samples):.2f} p99_ms={p99:.2f} n={len(samples)}")


def measure(admin, n):
    lists = [timed(lambda: admin("GET", "/clients?org=vendor-50-customer-4&limit=50"))
             for _ in range(n)]
    report("list one organization's clients", lists)
    group = admin("GET", "/groups?org=vendor-50&limit=1")["items"][0]["id"]
    member = "vendor-50-sa-7"
    adds, removes = [], []
    for _ in range(n):
        adds.append(timed(lambda: admin("POST", f"/groups/{group}/members", {"principal": member})))
        removes.append(timed(lambda: admin("DELETE", f"/groups/{group}/members/{member}")))
    report("add a group member", adds)
    report("remove a group member", removes)


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    base, admin_id, secret, what = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]
    if urllib.parse.urlparse(base).hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("loopback targets only")
    admin = Admin(base, admin_id, secret)
    rest = [int(x) for x in sys.argv[5:]]
    if what == "seed":
        seed(admin, *(rest + [100, 9, 5, 10][len(rest):]))
    elif what == "bench-client":
        bench_client(admin)
    elif what == "measure":
        measure(admin, rest[0] if rest else 200)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
