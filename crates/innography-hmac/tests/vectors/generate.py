#!/usr/bin/env python3
"""Independent reference implementation (Python hashlib/hmac) that writes the test vectors.

Each case directory holds:
  context.json        credentials, algorithm, date (IMF-fixdate) and its unix time
  request.txt         the unsigned request: request line, headers, blank line, exact body bytes
  string-to-sign.txt  "Date: ...\nContent-MD5: ..." (no trailing newline)
  signature.txt       base64 signature (no trailing newline)
  signed-request.txt  request.txt with Date, Content-MD5 and Authorization appended to the headers
Lines end with "\n". Run from this directory: python3 generate.py
"""
import base64, hashlib, hmac, json, os
from email.utils import formatdate

DOC_SECRET = "74f43da743aa47c3a90a9c5ef493bc8d"
DOC_TIME = 1484237859  # Thu, 12 Jan 2017 16:17:39 GMT

def large_body():
    items = ",".join('{"ipId":"US-%07d-B2","family":%d,"title":"Widget %d"}' % (i, i * 7, i) for i in range(1200))
    return ('{"cases":[' + items + "]}").encode()

CASES = [
    # name, user, secret, alg, unix time, method, path, headers, body
    ("doc-post-no-data", "obiwan", DOC_SECRET, "hmac-sha1", DOC_TIME, "POST", "/private-pair/account",
     [("Host", "api.innography.com"), ("Content-Type", "application/json")], b""),
    ("doc-post-data-sample", "obiwan", DOC_SECRET, "hmac-sha1", DOC_TIME, "POST", "/private-pair/account",
     [("Host", "api.innography.com"), ("Content-Type", "application/json")], b'{"data":"sample"}'),
    ("get-sha256", "obiwan", DOC_SECRET, "hmac-sha256", 1700000000, "GET", "/cases/documents?ipId=US-1234567-B2",
     [("Host", "api.innography.com"), ("Accept", "application/vnd.innography+json; version=0.6")], b""),
    ("explicit-empty-array-body", "obiwan", DOC_SECRET, "hmac-sha1", DOC_TIME, "POST", "/private-pair/account",
     [("Host", "api.innography.com"), ("Content-Type", "application/json")], b"[]"),
    ("unicode-body-sha1", "r2d2", "s3cr\u00e9t-\u2603", "hmac-sha1", 1577836800, "POST", "/data-validation/match",
     [("Host", "api.innography.com"), ("Content-Type", "application/json")],
     '{"applicant":"M\u00fcller GmbH \u2013 \u65e5\u672c\u7279\u8a31","note":"\U0001F600"}'.encode()),
    ("unicode-body-sha256", "r2d2", "s3cr\u00e9t-\u2603", "hmac-sha256", 1577836800, "POST", "/data-validation/match",
     [("Host", "api.innography.com"), ("Content-Type", "application/json")],
     '{"applicant":"M\u00fcller GmbH \u2013 \u65e5\u672c\u7279\u8a31","note":"\U0001F600"}'.encode()),
    ("large-body-sha256", "leia", "0123456789abcdef0123456789abcdef", "hmac-sha256", 1678007045, "PUT", "/portfolioiq/portfolios/42",
     [("Host", "api.innography.com"), ("Content-Type", "application/json")], large_body()),
    ("long-secret-single-digit-day", "han", "k" * 100, "hmac-sha1", 1678007045, "DELETE", "/etl/jobs/7",
     [("Host", "api.innography.com")], b""),
    ("escaped-username", 'ob"i\\wan', DOC_SECRET, "hmac-sha1", DOC_TIME, "GET", "/veritas/cases/1",
     [("Host", "api.innography.com")], b""),
]

def quote(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')

def render(method, path, headers, body):
    head = "%s %s HTTP/1.1\n" % (method, path) + "".join("%s: %s\n" % h for h in headers) + "\n"
    return head.encode() + body

for name, user, secret, alg, t, method, path, headers, body in CASES:
    os.makedirs(name, exist_ok=True)
    date = formatdate(t, usegmt=True)
    md5 = base64.b64encode(hashlib.md5(body if body else b"[]").digest()).decode()
    sts = "Date: %s\nContent-MD5: %s" % (date, md5)
    digest = hashlib.sha1 if alg == "hmac-sha1" else hashlib.sha256
    sig = base64.b64encode(hmac.new(secret.encode(), sts.encode(), digest).digest()).decode()
    auth = 'hmac username="%s", algorithm="%s", headers="Date Content-MD5", signature="%s"' % (quote(user), alg, sig)
    ctx = {"username": user, "secret": secret, "algorithm": alg, "date": date, "unix_time": t}
    with open(os.path.join(name, "context.json"), "w") as f:
        json.dump(ctx, f, indent=2, ensure_ascii=False)
        f.write("\n")
    open(os.path.join(name, "request.txt"), "wb").write(render(method, path, headers, body))
    open(os.path.join(name, "string-to-sign.txt"), "w").write(sts)
    open(os.path.join(name, "signature.txt"), "w").write(sig)
    signed = headers + [("Date", date), ("Content-MD5", md5), ("Authorization", auth)]
    open(os.path.join(name, "signed-request.txt"), "wb").write(render(method, path, signed, body))
    print(name, sig)
