#!/usr/bin/env python3
"""The role and tenant isolation matrix of REST v1, against a running server.

Every route of the OpenAPI document must be classified below (an unclassified route fails the
test, so a new route cannot skip the matrix). For every route and every credential that must be
refused, the request (with a valid body, so that only the credential can be the reason) must be
answered 403 (a role without the permission) or 404 (another tenant: its objects do not exist for
the caller), with a problem+json body and no side effect: the database's rows are unchanged.
Every GET is also answered 200 to every credential that may read it.

Usage: role_matrix.py HTTPS_HOST:PORT DATA_DIR PLATFORM_TOKEN OPENAPI_JSON
Prints "ok"/"FAIL" lines and "N passed, M failed" last; exits 1 when anything failed.
"""
import base64
import hashlib
import json
import os
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

HTTPS, DATA, PLATFORM, OPENAPI = sys.argv[1:5]
CTX = ssl.create_default_context(cafile=os.path.join(DATA, "ca-chain.pem"))
TENANT, OTHER = "default", "rm-other"

# Mirror of authority/access.cpp role_allows (the test fails if the server disagrees).
ROLE_ALLOWS = {
    "admin": {"CertificateIssue", "CertificateRead", "CertificateRevoke", "TokenCreate", "TokenRead", "TokenRevoke",
              "AuditRead", "TenantRead", "CaRead", "CaManage", "ProfileRead", "ProfileManage", "DeviceRead",
              "DeviceManage", "EnrollmentRead", "EnrollmentManage", "EnrollmentApprove"},
    "operator": {"CertificateIssue", "CertificateRead", "CertificateRevoke", "TenantRead", "CaRead", "ProfileRead",
                 "DeviceRead", "DeviceManage", "EnrollmentRead", "EnrollmentApprove"},
    "auditor": {"CertificateRead", "TokenRead", "AuditRead", "TenantRead", "CaRead", "ProfileRead", "DeviceRead",
                "EnrollmentRead"},
    "enrollment": set(),
}

# (METHOD, path) -> rule: "public" (no credential), "any" (any valid credential), "platform"
# (platform administrators only) or the tenant permission the route needs.
RULES = {
    ("GET", "/api/v1/health"): "public",
    ("GET", "/api/v1/openapi.json"): "public",  # the API description is not a secret
    ("GET", "/api/v1/profile-templates"): "any",
    ("POST", "/api/v1/tenants"): "platform",
    ("GET", "/api/v1/tenants"): "platform",
    ("GET", "/api/v1/audit"): "platform",
    ("GET", "/api/v1/audit/checkpoints"): "platform",
    ("POST", "/api/v1/tenants/{tenant}/disable"): "platform",
    ("POST", "/api/v1/tenants/{tenant}/enable"): "platform",
    ("GET", "/api/v1/tenants/{tenant}"): "TenantRead",
    ("POST", "/api/v1/tenants/{tenant}/certificates"): "CertificateIssue",
    ("GET", "/api/v1/tenants/{tenant}/certificates"): "CertificateRead",
    ("GET", "/api/v1/tenants/{tenant}/certificates/{serial}"): "CertificateRead",
    ("POST", "/api/v1/tenants/{tenant}/certificates/{serial}/revoke"): "CertificateRevoke",
    ("POST", "/api/v1/tenants/{tenant}/certificates/{serial}/suspend"): "CertificateRevoke",
    ("POST", "/api/v1/tenants/{tenant}/certificates/{serial}/reactivate"): "CertificateRevoke",
    ("POST", "/api/v1/tenants/{tenant}/certificates/{serial}/renew"): "CertificateIssue",
    ("POST", "/api/v1/tenants/{tenant}/certificates/{serial}/rekey"): "CertificateIssue",
    ("POST", "/api/v1/tenants/{tenant}/bulk-revocations"): "CertificateRevoke",
    ("GET", "/api/v1/tenants/{tenant}/bulk-revocations/{id}"): "CertificateRead",
    ("GET", "/api/v1/tenants/{tenant}/profiles"): "ProfileRead",
    ("POST", "/api/v1/tenants/{tenant}/profiles"): "ProfileManage",
    ("GET", "/api/v1/tenants/{tenant}/profiles/{name}"): "ProfileRead",
    ("POST", "/api/v1/tenants/{tenant}/profiles/{name}/versions"): "ProfileManage",
    ("GET", "/api/v1/tenants/{tenant}/profiles/{name}/versions/{version}"): "ProfileRead",
    ("POST", "/api/v1/tenants/{tenant}/profiles/{name}/retire"): "ProfileManage",
    ("GET", "/api/v1/tenants/{tenant}/audit"): "AuditRead",
    ("GET", "/api/v1/tenants/{tenant}/audit/export"): "AuditRead",
    ("POST", "/api/v1/tenants/{tenant}/device-types"): "DeviceManage",
    ("GET", "/api/v1/tenants/{tenant}/device-types"): "DeviceRead",
    ("GET", "/api/v1/tenants/{tenant}/device-types/{name}"): "DeviceRead",
    ("POST", "/api/v1/tenants/{tenant}/devices"): "DeviceManage",
    ("GET", "/api/v1/tenants/{tenant}/devices"): "DeviceRead",
    ("POST", "/api/v1/tenants/{tenant}/devices/import"): "DeviceManage",
    ("GET", "/api/v1/tenants/{tenant}/devices/{serial}"): "DeviceRead",
    ("POST", "/api/v1/tenants/{tenant}/devices/{serial}/provision"): "DeviceManage",
    ("POST", "/api/v1/tenants/{tenant}/devices/{serial}/activate"): "DeviceManage",
    ("POST", "/api/v1/tenants/{tenant}/devices/{serial}/suspend"): "DeviceManage",
    ("POST", "/api/v1/tenants/{tenant}/devices/{serial}/reactivate"): "DeviceManage",
    ("POST", "/api/v1/tenants/{tenant}/devices/{serial}/decommission"): "DeviceManage",
    ("GET", "/api/v1/tenants/{tenant}/cas"): "CaRead",
    ("POST", "/api/v1/tenants/{tenant}/cas"): "CaManage",
    ("GET", "/api/v1/tenants/{tenant}/cas/{ca}"): "CaRead",
    ("POST", "/api/v1/tenants/{tenant}/cas/{ca}/certificate"): "CaManage",
    ("POST", "/api/v1/tenants/{tenant}/cas/{ca}/disable"): "CaManage",
    ("POST", "/api/v1/tenants/{tenant}/cas/{ca}/enable"): "CaManage",
    ("POST", "/api/v1/tenants/{tenant}/tokens"): "TokenCreate",
    ("GET", "/api/v1/tenants/{tenant}/tokens"): "TokenRead",
    ("POST", "/api/v1/tenants/{tenant}/tokens/{id}/revoke"): "TokenRevoke",
    ("POST", "/api/v1/tenants/{tenant}/operator-certificates"): "TokenCreate",
    ("GET", "/api/v1/tenants/{tenant}/operator-certificates"): "TokenRead",
    ("POST", "/api/v1/tenants/{tenant}/operator-certificates/{fingerprint}/revoke"): "TokenRevoke",
    # EST enrollment administration (issue #5).
    ("GET", "/api/v1/tenants/{tenant}/enrollment-endpoints"): "EnrollmentRead",
    ("POST", "/api/v1/tenants/{tenant}/enrollment-endpoints"): "EnrollmentManage",
    ("GET", "/api/v1/tenants/{tenant}/enrollment-endpoints/{label}"): "EnrollmentRead",
    ("PUT", "/api/v1/tenants/{tenant}/enrollment-endpoints/{label}"): "EnrollmentManage",
    ("POST", "/api/v1/tenants/{tenant}/enrollment-endpoints/{label}/disable"): "EnrollmentManage",
    ("POST", "/api/v1/tenants/{tenant}/enrollment-endpoints/{label}/enable"): "EnrollmentManage",
    ("GET", "/api/v1/tenants/{tenant}/enrollment-endpoints/{label}/crls"): "EnrollmentRead",
    ("POST", "/api/v1/tenants/{tenant}/enrollment-endpoints/{label}/crls"): "EnrollmentManage",
    ("GET", "/api/v1/tenants/{tenant}/enrollment-requests"): "EnrollmentRead",
    ("GET", "/api/v1/tenants/{tenant}/enrollment-requests/{id}"): "EnrollmentRead",
    ("POST", "/api/v1/tenants/{tenant}/enrollment-requests/{id}/approve"): "EnrollmentApprove",
    ("POST", "/api/v1/tenants/{tenant}/enrollment-requests/{id}/reject"): "EnrollmentApprove",
    ("POST", "/api/v1/tenants/{tenant}/devices/{serial}/enrollment-otp"): "EnrollmentApprove",
    ("POST", "/api/v1/tenants/{tenant}/devices/{serial}/renewal-grant"): "EnrollmentApprove",
}

passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   " + name)
    else:
        failed += 1
        print("FAIL " + name + ((" | " + detail) if detail else ""))


def call(method, path, token=None, body=None, content_type="application/json"):
    data = None
    headers = {}
    if token:
        headers["Authorization"] = "Bearer " + token
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        headers["Content-Type"] = content_type
    req = urllib.request.Request("https://" + HTTPS + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, context=CTX, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def must(method, path, token, body=None, want=(200, 201, 202)):
    status, _, raw = call(method, path, token, body)
    if status not in want:
        sys.exit("set-up failed: %s %s = %d %s" % (method, path, status, raw[:300]))
    return json.loads(raw) if raw.startswith(b"{") else raw


def csr(cn, subj=None, der=False):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", d + "/k", "-subj", subj or "/CN=" + cn, "-out", d + "/c"]
                       + (["-outform", "DER"] if der else []), check=True, capture_output=True)
        return open(d + "/c", "rb" if der else "r").read()


def est_held_enrollment(label, serial, otp):
    """A simpleenroll over HTTP Basic (RFC 7030 §3.2.3) that the endpoint holds for approval (202)."""
    body = base64.b64encode(csr(serial, "/CN=%s/serialNumber=%s" % (serial, serial), der=True))
    basic = base64.b64encode(("%s:%s" % (serial, otp)).encode()).decode()
    req = urllib.request.Request("https://%s/.well-known/est/%s/simpleenroll" % (HTTPS, label), data=body,
                                 method="POST", headers={"Content-Type": "application/pkcs10",
                                                         "Authorization": "Basic " + basic})
    try:
        with urllib.request.urlopen(req, context=CTX, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# Rows that background services change on their own (CRL publishing, OCSP responder, audit
# checkpoints) are left out; everything a request could change is compared.
BACKGROUND_TABLES = {"crls", "crl_numbers", "ocsp_responders", "audit_checkpoints", "settings", "sqlite_sequence"}


def snapshot():
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(DATA, "fleetpki.db"), uri=True)
    try:
        digest = hashlib.sha256()
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for t in tables:
            if t in BACKGROUND_TABLES:
                continue
            for row in sorted(repr(r) for r in db.execute("SELECT * FROM \"%s\"" % t)):
                digest.update((t + row).encode())
        return digest.hexdigest()
    finally:
        db.close()


# ---- set-up: a second tenant, one token per role, one object of each kind ----------------------
must("POST", "/api/v1/tenants", PLATFORM, {"name": OTHER})
tokens = {}
for role in ("admin", "operator", "auditor", "enrollment"):
    tokens[role] = must("POST", "/api/v1/tenants/%s/tokens" % TENANT, PLATFORM, {"role": role})["token"]
other_admin = must("POST", "/api/v1/tenants/%s/tokens" % OTHER, PLATFORM, {"role": "admin"})["token"]
victim_token = must("POST", "/api/v1/tenants/%s/tokens" % TENANT, PLATFORM, {"role": "auditor"})
issued = must("POST", "/api/v1/tenants/%s/certificates" % TENANT, PLATFORM,
              {"profile": "tls-client", "csr": csr("matrix-1")})
serial = issued["serial"]
must("POST", "/api/v1/tenants/%s/devices" % TENANT, PLATFORM, {"serial": "rm-dev-1", "type": "default"})
bulk = must("POST", "/api/v1/tenants/%s/bulk-revocations" % TENANT, PLATFORM,
            {"profile": "code-signing", "reason": "superseded"})
operator_cert = must("POST", "/api/v1/tenants/%s/operator-certificates" % TENANT, PLATFORM,
                     {"certificate": issued["certificate"], "role": "auditor"})
issuing_pem = must("GET", "/api/v1/tenants/%s/cas/issuing" % TENANT, PLATFORM)["certificate"]
# An enrollment endpoint holding every enrollment for approval, and one held enrollment on it.
must("POST", "/api/v1/tenants/%s/enrollment-endpoints" % TENANT, PLATFORM,
     {"label": "rm-ep", "auth": ["otp"], "trusted_cas": [], "approval": "manual"})
otp = must("POST", "/api/v1/tenants/%s/devices/rm-dev-1/enrollment-otp" % TENANT, PLATFORM, {})["otp"]
est_status, est_body = est_held_enrollment("rm-ep", "rm-dev-1", otp)
if est_status != 202:
    sys.exit("set-up failed: EST simpleenroll = %d %s" % (est_status, est_body[:300]))
held = must("GET", "/api/v1/tenants/%s/enrollment-requests?state=pending" % TENANT, PLATFORM)["items"]
if len(held) != 1:
    sys.exit("set-up failed: %d held enrollments" % len(held))

params = {"tenant": TENANT, "id": str(bulk["id"]), "name": "tls-client", "version": "1", "ca": "issuing",
          "fingerprint": operator_cert["fingerprint"]}


def fill(method, path):
    p = path
    if "/devices/{serial}" in p:
        p = p.replace("{serial}", "rm-dev-1")
    if "/device-types/{name}" in p:
        p = p.replace("{name}", "default")
    if "/tokens/{id}" in p:
        p = p.replace("{id}", victim_token["id"])
    if "/enrollment-requests/{id}" in p:
        p = p.replace("{id}", str(held[0]["id"]))
    p = p.replace("{label}", "rm-ep")
    p = p.replace("{serial}", serial)
    for k, v in params.items():
        p = p.replace("{%s}" % k, v)
    return p


BODIES = {
    ("POST", "/api/v1/tenants"): {"name": "rm-new"},
    ("POST", "/api/v1/tenants/{tenant}/certificates"): {"profile": "tls-client", "csr": csr("matrix-2")},
    ("POST", "/api/v1/tenants/{tenant}/certificates/{serial}/revoke"): {"reason": "superseded"},
    ("POST", "/api/v1/tenants/{tenant}/certificates/{serial}/rekey"): {"csr": csr("matrix-1")},
    ("POST", "/api/v1/tenants/{tenant}/bulk-revocations"): {"profile": "code-signing", "reason": "superseded"},
    ("POST", "/api/v1/tenants/{tenant}/profiles"): {"name": "rm-dac", "template": "matter-dac"},
    ("POST", "/api/v1/tenants/{tenant}/profiles/{name}/versions"): {"template": "tls-client"},
    ("POST", "/api/v1/tenants/{tenant}/device-types"): {"name": "rm-meter"},
    ("POST", "/api/v1/tenants/{tenant}/devices"): {"serial": "rm-dev-2", "type": "default"},
    ("POST", "/api/v1/tenants/{tenant}/devices/import"): "serial,type\nrm-dev-3,default\n",
    ("POST", "/api/v1/tenants/{tenant}/cas"): {"name": "rm-ca"},
    ("POST", "/api/v1/tenants/{tenant}/cas/{ca}/certificate"): {"certificate": issuing_pem, "chain": issuing_pem},
    ("POST", "/api/v1/tenants/{tenant}/tokens"): {"role": "auditor"},
    ("POST", "/api/v1/tenants/{tenant}/operator-certificates"): {"certificate": issued["certificate"],
                                                               "role": "operator"},
    ("POST", "/api/v1/tenants/{tenant}/enrollment-endpoints"): {"label": "rm-ep-2", "auth": ["otp"],
                                                              "trusted_cas": []},
    ("PUT", "/api/v1/tenants/{tenant}/enrollment-endpoints/{label}"): {"auth": ["otp"], "trusted_cas": [],
                                                                     "approval": "automatic"},
    ("POST", "/api/v1/tenants/{tenant}/enrollment-requests/{id}/reject"): {"reason": "matrix"},
    ("POST", "/api/v1/tenants/{tenant}/enrollment-endpoints/{label}/crls"): {"crl": "-----BEGIN X509 CRL-----"},
    ("POST", "/api/v1/tenants/{tenant}/devices/{serial}/enrollment-otp"): {"expires_in": 3600},
    ("POST", "/api/v1/tenants/{tenant}/devices/{serial}/renewal-grant"): {"expires_in": 3600},
}

# ---- every documented route is classified --------------------------------------------------
doc = json.load(open(OPENAPI))
routes = [(m.upper(), p) for p, ops in doc["paths"].items() for m in ops if m in ("get", "post", "put", "patch", "delete")]
unclassified = [r for r in routes if r not in RULES]
check("every documented route is classified in the matrix", not unclassified, repr(unclassified))
stale = [r for r in RULES if r not in routes]
check("every classified route is documented", not stale, repr(stale))

principals = [("admin", TENANT, tokens["admin"]), ("operator", TENANT, tokens["operator"]),
              ("auditor", TENANT, tokens["auditor"]), ("enrollment", TENANT, tokens["enrollment"]),
              ("admin", OTHER, other_admin)]


def expected(rule, role, tenant, path):
    """The status a refusal must have, or None when the credential may do it."""
    if rule == "public" or rule == "any":
        return None
    if rule == "platform":
        return 403
    if tenant != TENANT:
        return 404  # another tenant's credential: the tenant does not exist for it
    return None if rule in ROLE_ALLOWS[role] else 403


for (method, path) in sorted(r for r in routes if r in RULES):
    rule = RULES[(method, path)]
    target = fill(method, path)
    body = BODIES.get((method, path))
    ctype = "text/csv" if path.endswith("/devices/import") else "application/json"
    for role, tenant, token in principals:
        want = expected(rule, role, tenant, path)
        who = "%s of %s" % (role, "the tenant" if tenant == TENANT else "another tenant")
        if want is None:
            if method == "GET":
                status, _, raw = call(method, target, token)
                check("%s %s: %s may read it (200)" % (method, path, who), status == 200, "%d %s" % (status, raw[:200]))
            continue
        before = snapshot()
        status, ctype_answer, raw = call(method, target, token, body, ctype)
        after = snapshot()
        check("%s %s: %s is refused with %d problem+json" % (method, path, who, want),
              status == want and ctype_answer.startswith("application/problem+json"),
              "got %d %s %s" % (status, ctype_answer, raw[:200]))
        check("%s %s: %s's refused call changed nothing" % (method, path, who), before == after)
    # No credential at all: 401, except the public routes.
    if rule != "public":
        status, _, _ = call(method, target, None, body, ctype)
        check("%s %s: no credential = 401" % (method, path), status == 401, str(status))

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
