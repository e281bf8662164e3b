#!/usr/bin/env python3
"""Seeds the fuzz corpora from ../shared/vectors (read in place) and the repo's examples.

Writes fuzz/seeds/<target>/<n>: every compact or JSON JWS and JWE, every JWK and JWK Set, every
PEM key, and a few hand-made requests, claims and configurations. Usage: seed.py VECTORS OUT
"""
import json
import os
import re
import sys

vectors, out = sys.argv[1], sys.argv[2]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
seeds = {t: set() for t in ["jws_verify", "jwe_decrypt", "jwk_parse", "key_import",
                            "jwt_claims", "server_request", "server_config", "request_target"]}
compact = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*){2,4}$")


def walk(v):
    """Every string and object inside a JSON value."""
    yield v
    if isinstance(v, dict):
        for x in v.values():
            yield from walk(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk(x)


def token(s):
    """A JWS has 3 segments, a JWE 5."""
    if s.count(".") == 4:
        seeds["jwe_decrypt"].add(s.encode())
    elif s.count(".") == 2:
        seeds["jws_verify"].add(s.encode())


for dirpath, _, files in os.walk(vectors):
    for f in files:
        path = os.path.join(dirpath, f)
        try:
            text = open(path, encoding="utf-8").read()
        except (UnicodeDecodeError, OSError):
            continue
        if "-----BEGIN" in text:
            seeds["key_import"].add(text.encode())
        stripped = text.strip()
        if compact.match(stripped):
            token(stripped)
            continue
        try:
            doc = json.loads(text)
        except ValueError:
            continue
        for v in walk(doc):
            if isinstance(v, str) and compact.match(v):
                token(v)
            elif isinstance(v, dict):
                blob = json.dumps(v).encode()
                if "kty" in v or "keys" in v:
                    seeds["jwk_parse"].add(blob)
                if "ciphertext" in v:
                    seeds["jwe_decrypt"].add(blob)
                elif "signature" in v or "signatures" in v:
                    seeds["jws_verify"].add(blob)
                if "exp" in v or "iss" in v or "aud" in v:
                    seeds["jwt_claims"].add(b'{"alg":"ES256","typ":"JWT"}\n' + blob)

# Tokens the fuzzer's own ML-DSA key signed (fuzz_targets/keys.rs), and the key itself.
fixed = os.path.join(root, "fuzz", "fixed")
for f in sorted(os.listdir(fixed)):
    blob = open(os.path.join(fixed, f), "rb").read()
    seeds["jwk_parse" if f.endswith(".jwk") else "jws_verify"].add(blob)

seeds["jwt_claims"] |= {
    b'{"alg":"ES256"}\n{"iss":"https://issuer.example","aud":["api","x"],"sub":"a","exp":1700000100,"iat":1699999000}',
    b'{"alg":"ES256"}\n{"iss":"https://issuer.example","aud":"api","sub":"a","exp":"1700000100"}',
    b'{"alg":"ES256","typ":"JWT"}\n{"exp":1.7e9,"nbf":1e300,"aud":[1,2]}',
}
hs = next(iter(sorted(s for s in seeds["jws_verify"] if s.startswith(b"eyJ"))), b"a.b.c").decode()
seeds["server_request"] |= {
    f"/api/x\nAuthorization: Bearer {hs}\n\n".encode(),
    f"/doc\nContent-Type: application/jose\n\n{hs}".encode(),
    b'/doc\nContent-Type: application/json\n\n{"payload":"e30","signatures":[]}',
    f"/h\nX-Token: {hs}\n\n".encode(),
    f"/q?access_token={hs}&x=1\n\n".encode(),
    f"/c\nCookie: a=b; session={hs}\n\n".encode(),
}
seeds["request_target"] |= {t.encode() for t in [
    "/", "/api/x?q=1", "/api/../admin", "/api/%2e%2e/admin", "/%61dmin", "//admin//x/",
    "/a%2fb", "/a\\b", "/a;b=1", "/a%00", "/a%zz", "/..", "/a/./b/../c", "/caf%C3%A9?x=%2F",
    "/a<b>{c}|d", "/x?access_token=a&access%5Ftoken=b",
]}
for f in ["examples/quickstart.toml"]:
    seeds["server_config"].add(open(os.path.join(root, f), "rb").read())
for f in os.listdir(os.path.join(root, "docs")):
    text = open(os.path.join(root, "docs", f), encoding="utf-8").read()
    for block in re.findall(r"```toml\n(.*?)```", text, re.S):
        seeds["server_config"].add(block.encode())

for target, items in seeds.items():
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    for i, s in enumerate(sorted(items)):
        open(os.path.join(d, str(i)), "wb").write(s)
    print(f"{target}: {len(items)} seeds")
