#!/usr/bin/env python3
"""A stand-in workload issuer for the federated grant's benchmark (loopback only).

usage: workload-token.py BASE_URL ADMIN_ID ADMIN_SECRET

Makes a P-256 key, creates the service account `bench-workload` (client_credentials and token
exchange, scope deploy:write for https://deploy.example.com) with a trust policy pinning that key
for the issuer https://cluster.bench.example and the subject
system:serviceaccount:ci:deployer, and prints one workload token (shaped like a Kubernetes
projected service-account token, valid for an hour) on standard output.
"""
import base64
import json
import sys
import time
import urllib.parse
import urllib.request

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ISSUER = "https://cluster.bench.example"
SUBJECT = "system:serviceaccount:ci:deployer"
AUDIENCE = "https://castellan.bench.example"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


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
        return json.loads(res.read() or b"null")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    base, admin_id, secret = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    if urllib.parse.urlparse(base).hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("loopback targets only")
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    jwk = {"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "bench-1",
           "x": b64(numbers.x.to_bytes(32, "big")), "y": b64(numbers.y.to_bytes(32, "big"))}
    admin = call(base, "POST", "/oauth2/token",
                 form={"grant_type": "client_credentials", "resource": "urn:castellan:admin",
                       "scope": "admin"}, auth=f"{admin_id}:{secret}")["access_token"]
    call(base, "POST", "/admin/v1/clients", token=admin, body={
        "client_id": "bench-workload", "name": "bench-workload",
        "grant_types": ["client_credentials", EXCHANGE], "scopes": ["deploy:write"],
        "default_scopes": ["deploy:write"], "audiences": ["https://deploy.example.com"]})
    call(base, "POST", "/admin/v1/clients/bench-workload/trust-policies", token=admin, body={
        "issuer": ISSUER, "jwks": {"keys": [jwk]}, "audience": AUDIENCE, "subject": SUBJECT,
        "claims": {"/kubernetes.io/namespace": "ci"}, "max_token_age_seconds": 3600})
    now = int(time.time())
    header = {"alg": "ES256", "kid": "bench-1", "typ": "JWT"}
    claims = {"iss": ISSUER, "sub": SUBJECT, "aud": [AUDIENCE], "iat": now, "nbf": now,
              "exp": now + 3600, "kubernetes.io": {"namespace": "ci"}}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    der = key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    print(f"{signing_input}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}")


if __name__ == "__main__":
    main()
