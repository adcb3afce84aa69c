#!/usr/bin/python3
"""Byte-level check of one fleetpki certificate against its profile (docs/architecture.md).

Usage:
  /usr/bin/python3 check_profile.py CERT ISSUER PROFILE [--csr CSR] [--http HOST:PORT]
                                    [--response JSON] [--root ROOT] [--tenant T]

PROFILE is one of the end-entity profiles tls-server, tls-client, code-signing, ldevid, idevid,
or one of the CA pseudo-profiles root-ca (ISSUER = CERT), issuing-ca, manufacturing-ca (ISSUER =
the root). Raw DER is walked for what a parser would hide (time tags, `30 00`, KeyUsage bytes,
serial octets, explicit DEFAULT values, minimal lengths); python3-cryptography does the rest.

  --csr       the CSR the certificate was issued from: same public key, names carried over
  --http      the plain-HTTP listener: CRL DP and AIA URLs must use exactly http://HOST:PORT
  --response  the REST JSON answer: serial, certificate, chain, profile, status, times agree
  --root      the root CA: with --response, chain must be ISSUER then ROOT

Exits 0 when every check passes, 1 with one line "check_profile: PROFILE: what is wrong" on the
first mismatch, 2 on usage errors. Runs with Debian's python3-cryptography (38.x).
"""

import argparse
import datetime
import json
import re
import sys

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
    from cryptography.x509.oid import ExtensionOID, NameOID
except ImportError as e:  # pragma: no cover
    sys.stderr.write("check_profile: python3-cryptography is missing (%s); run with /usr/bin/python3\n" % e)
    sys.exit(2)


class Mismatch(Exception):
    pass


PROFILE_NAME = "?"


def fail(msg):
    raise Mismatch(msg)


def expect(cond, msg):
    if not cond:
        fail(msg)


def hexb(b):
    return " ".join("%02X" % x for x in b)


# ---------------------------------------------------------------------------------------------
# A strict DER walker (X.690 §10): definite minimal lengths, BOOLEAN 00/FF, minimal INTEGERs.

class Tlv:
    __slots__ = ("tag", "value", "raw")

    def __init__(self, tag, value, raw):
        self.tag, self.value, self.raw = tag, value, raw

    @property
    def constructed(self):
        return bool(self.tag & 0x20)

    def children(self):
        return parse_all(self.value)


def parse_one(buf, off=0, where="DER"):
    if off >= len(buf):
        fail("%s: truncated (no tag)" % where)
    start = off
    tag = buf[off]
    off += 1
    if tag & 0x1F == 0x1F:
        fail("%s: multi-byte tags are not expected" % where)
    if off >= len(buf):
        fail("%s: truncated (no length)" % where)
    first = buf[off]
    off += 1
    if first == 0x80:
        fail("%s: indefinite length is not DER" % where)
    if first & 0x80:
        n = first & 0x7F
        if n > 4 or off + n > len(buf):
            fail("%s: bad long-form length" % where)
        lb = buf[off:off + n]
        off += n
        length = int.from_bytes(lb, "big")
        if lb[0] == 0 or length < 0x80:
            fail("%s: non-minimal length encoding (%s)" % (where, hexb(buf[start:off])))
    else:
        length = first
    if off + length > len(buf):
        fail("%s: length %d runs past the end of the data" % (where, length))
    value = bytes(buf[off:off + length])
    return Tlv(tag, value, bytes(buf[start:off + length])), off + length


def parse_all(buf, where="DER"):
    out, off = [], 0
    while off < len(buf):
        t, off = parse_one(buf, off, where)
        out.append(t)
    return out


def parse_exact(buf, where):
    t, end = parse_one(buf, 0, where)
    expect(end == len(buf), "%s: %d trailing bytes after the DER value" % (where, len(buf) - end))
    return t


def walk_strict(t, where):
    """Recursively checks primitive encodings a DER encoder must get right."""
    if t.tag == 0x01:  # BOOLEAN
        expect(len(t.value) == 1 and t.value in (b"\x00", b"\xff"), "%s: BOOLEAN must be 00 or FF" % where)
    elif t.tag == 0x02:  # INTEGER
        v = t.value
        expect(len(v) >= 1, "%s: empty INTEGER" % where)
        if len(v) > 1:
            expect(not (v[0] == 0x00 and v[1] < 0x80) and not (v[0] == 0xFF and v[1] >= 0x80),
                   "%s: non-minimal INTEGER %s" % (where, hexb(v[:4])))
    elif t.tag == 0x03:  # BIT STRING
        expect(len(t.value) >= 1 and t.value[0] <= 7, "%s: bad BIT STRING unused-bits octet" % where)
    if t.constructed:
        for i, c in enumerate(t.children()):
            walk_strict(c, "%s/%d" % (where, i))


def oid_text(der_value):
    v = der_value
    expect(len(v) > 0, "empty OBJECT IDENTIFIER")
    first = v[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    n = 0
    for b in v[1:]:
        n = (n << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(n)
            n = 0
    return ".".join(str(p) for p in parts)


# ---------------------------------------------------------------------------------------------
# OIDs and the expected values.

OID_BC, OID_KU, OID_EKU, OID_SKI, OID_AKI = "2.5.29.19", "2.5.29.15", "2.5.29.37", "2.5.29.14", "2.5.29.35"
OID_SAN, OID_CDP, OID_AIA, OID_NC = "2.5.29.17", "2.5.29.31", "1.3.6.1.5.5.7.1.1", "2.5.29.30"
OID_ECDSA_SHA256, OID_ECDSA_SHA384 = "1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3"
OID_ED25519, OID_RSA_SHA256 = "1.3.101.112", "1.2.840.113549.1.1.11"
OID_SERVER_AUTH, OID_CLIENT_AUTH, OID_CODE_SIGNING = "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.3"

KU_DIGITAL_SIGNATURE = bytes.fromhex("03020780")
KU_DIGITAL_SIGNATURE_KEY_ENCIPHERMENT = bytes.fromhex("030205a0")
KU_CERT_SIGN_CRL_SIGN = bytes.fromhex("03020106")
BC_END_ENTITY = bytes.fromhex("3000")
BC_CA_PATHLEN0 = bytes.fromhex("30060101ff020100")
NO_EXPIRY = bytes.fromhex("180f") + b"99991231235959Z"

END_ENTITY = {
    # name: (issuing CA kind, validity days or None = 99991231235959Z, EKU OIDs or None, SKI wanted)
    "tls-server": ("issuing", 397, {OID_SERVER_AUTH}, True),
    "tls-client": ("issuing", 365, {OID_CLIENT_AUTH}, True),
    "code-signing": ("issuing", 1095, {OID_CODE_SIGNING}, True),
    "ldevid": ("issuing", 365, {OID_CLIENT_AUTH, OID_SERVER_AUTH}, False),
    "idevid": ("manufacturing", None, None, False),
}
CA_PROFILES = ("root-ca", "issuing-ca", "manufacturing-ca")
ALLOWED_EE_EXTENSIONS = {OID_BC, OID_KU, OID_EKU, OID_SKI, OID_AKI, OID_SAN, OID_CDP, OID_AIA}

HOST_RE = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
RFC3339_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


# ---------------------------------------------------------------------------------------------
# Loading.

def read_pem_certs(path):
    data = open(path, "rb").read()
    blocks = re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", data, re.S)
    expect(blocks, "%s holds no PEM certificate" % path)
    return [x509.load_pem_x509_certificate(b) for b in blocks]


def load_csr(path):
    data = open(path, "rb").read()
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_csr(data)
    return x509.load_der_x509_csr(data)


def der_of(cert):
    return cert.public_bytes(serialization.Encoding.DER)


class RawCert:
    """The TBSCertificate fields as raw TLVs."""

    def __init__(self, der):
        top = parse_exact(der, "Certificate")
        expect(top.tag == 0x30, "Certificate is not a SEQUENCE")
        walk_strict(top, "Certificate")
        parts = top.children()
        expect(len(parts) == 3, "Certificate must have 3 elements, has %d" % len(parts))
        self.tbs, self.outer_alg, self.sig = parts
        expect(self.tbs.tag == 0x30 and self.outer_alg.tag == 0x30 and self.sig.tag == 0x03,
               "Certificate elements have the wrong tags")
        f = self.tbs.children()
        expect(f and f[0].tag == 0xA0, "TBSCertificate has no explicit version (v3 required)")
        ver = parse_exact(f[0].value, "version")
        expect(ver.tag == 0x02 and ver.value == b"\x02", "version is not v3 (INTEGER 2)")
        expect(len(f) >= 8, "TBSCertificate is missing fields")
        self.serial, self.alg, self.issuer, self.validity, self.subject, self.spki = f[1:7]
        rest = f[7:]
        expect(all(t.tag != 0x81 and t.tag != 0x82 for t in rest), "issuer/subject unique IDs must not be present")
        exts = [t for t in rest if t.tag == 0xA3]
        expect(len(exts) == 1 and len(rest) == 1, "TBSCertificate must end with exactly one [3] extensions")
        seq = parse_exact(exts[0].value, "extensions")
        expect(seq.tag == 0x30 and seq.value, "extensions must be a non-empty SEQUENCE")
        self.extensions = {}
        self.extension_order = []
        for e in seq.children():
            items = e.children()
            expect(e.tag == 0x30 and items and items[0].tag == 0x06, "malformed Extension")
            oid = oid_text(items[0].value)
            critical = False
            if len(items) == 3:
                expect(items[1].tag == 0x01, "extension %s: second element must be BOOLEAN" % oid)
                expect(items[1].value == b"\xff", "extension %s: critical FALSE is encoded (DER forbids DEFAULT)" % oid)
                critical = True
                value = items[2]
            else:
                expect(len(items) == 2, "extension %s: wrong number of elements" % oid)
                value = items[1]
            expect(value.tag == 0x04, "extension %s: extnValue is not an OCTET STRING" % oid)
            expect(oid not in self.extensions, "extension %s appears twice" % oid)
            inner = parse_exact(value.value, "extension %s value" % oid)
            walk_strict(inner, "extension %s" % oid)
            self.extensions[oid] = (critical, value.value)
            self.extension_order.append(oid)


def time_value(t, what):
    v = t.value.decode("ascii", "replace")
    if t.tag == 0x17:
        expect(re.fullmatch(r"\d{12}Z", v), "%s UTCTime %r is not YYMMDDHHMMSSZ" % (what, v))
        yy = int(v[:2])
        year = 1900 + yy if yy >= 50 else 2000 + yy
        rest = v[2:]
    elif t.tag == 0x18:
        expect(re.fullmatch(r"\d{14}Z", v), "%s GeneralizedTime %r is not YYYYMMDDHHMMSSZ" % (what, v))
        year = int(v[:4])
        rest = v[4:]
    else:
        fail("%s has tag 0x%02X, not UTCTime/GeneralizedTime" % (what, t.tag))
    dt = datetime.datetime(year, int(rest[0:2]), int(rest[2:4]), int(rest[4:6]), int(rest[6:8]),
                           int(rest[8:10]), tzinfo=datetime.timezone.utc)
    if year <= 2049:
        expect(t.tag == 0x17, "%s %s is in %d and must be UTCTime (RFC 5280 §4.1.2.5)" % (what, v, year))
    else:
        expect(t.tag == 0x18, "%s %s is in %d and must be GeneralizedTime" % (what, v, year))
    return dt


def check_validity(raw, days, now, is_ca):
    f = raw.validity.children()
    expect(raw.validity.tag == 0x30 and len(f) == 2, "Validity is not a SEQUENCE of two times")
    nb = time_value(f[0], "notBefore")
    na = time_value(f[1], "notAfter")
    expect(nb < na, "notBefore %s is not before notAfter %s" % (nb, na))
    slack = datetime.timedelta(minutes=2)
    expect(nb <= now + slack, "notBefore %s is in the future" % nb.isoformat())
    expect(na > now, "notAfter %s has passed" % na.isoformat())
    if is_ca:
        return nb, na
    # Issued just now: notBefore may be backdated for clock skew, by at most an hour.
    expect(nb >= now - datetime.timedelta(hours=2), "notBefore %s is far in the past for a fresh certificate" % nb.isoformat())
    if days is None:
        expect(f[1].raw == NO_EXPIRY, "notAfter must be GeneralizedTime 99991231235959Z (%s), is %s"
               % (hexb(NO_EXPIRY), hexb(f[1].raw)))
    else:
        span = (na - nb).total_seconds()
        lo, hi = days * 86400 - 60, days * 86400 + 3600
        expect(lo <= span <= hi, "validity is %.3f days, want %d days (notBefore %s, notAfter %s)"
               % (span / 86400, days, nb.isoformat(), na.isoformat()))
    return nb, na


def check_signature(cert, raw, issuer):
    expect(raw.alg.raw == raw.outer_alg.raw, "tbsCertificate.signature differs from signatureAlgorithm")
    alg = raw.alg.children()
    oid = oid_text(alg[0].value)
    pub = issuer.public_key()
    if isinstance(pub, ec.EllipticCurvePublicKey):
        expect(oid in (OID_ECDSA_SHA256, OID_ECDSA_SHA384), "EC issuer but signature algorithm %s" % oid)
        expect(len(alg) == 1, "ECDSA AlgorithmIdentifier must have absent parameters (not NULL)")
        h = hashes.SHA256() if oid == OID_ECDSA_SHA256 else hashes.SHA384()
        verify = lambda: pub.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(h))
    elif isinstance(pub, ed25519.Ed25519PublicKey):
        expect(oid == OID_ED25519 and len(alg) == 1, "Ed25519 issuer but signature algorithm %s" % oid)
        verify = lambda: pub.verify(cert.signature, cert.tbs_certificate_bytes)
    elif isinstance(pub, rsa.RSAPublicKey):
        expect(oid == OID_RSA_SHA256 and len(alg) == 2 and alg[1].raw == b"\x05\x00",
               "RSA issuer: want sha256WithRSAEncryption with NULL parameters")
        verify = lambda: pub.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA256())
    else:
        fail("unsupported issuer key type %s" % type(pub).__name__)
    try:
        verify()
    except InvalidSignature:
        fail("signature does not verify with the issuer's public key")
    expect(raw.issuer.raw == RawCert(der_of(issuer)).subject.raw,
           "issuer Name is not byte-for-byte the issuer certificate's subject")


def check_serial(raw):
    s = raw.serial
    expect(s.tag == 0x02, "serialNumber is not an INTEGER")
    expect(len(s.value) == 16, "serial has %d content octets, want 16 (%s)" % (len(s.value), s.value.hex()))
    expect(0x40 <= s.value[0] <= 0x7F, "serial's first octet is 0x%02X, want 0x40..0x7F" % s.value[0])


def ski_value(raw, want, what="certificate"):
    if OID_SKI not in raw.extensions:
        expect(not want, "subjectKeyIdentifier is missing from the %s" % what)
        return None
    expect(want, "subjectKeyIdentifier must be absent (802.1AR DevID end entity)")
    crit, v = raw.extensions[OID_SKI]
    expect(not crit, "subjectKeyIdentifier must not be critical")
    t = parse_exact(v, "SKI")
    expect(t.tag == 0x04 and len(t.value) >= 8, "subjectKeyIdentifier must be an OCTET STRING of >= 8 bytes")
    return t.value


def check_aki(raw, issuer_raw):
    issuer_ski = ski_value(issuer_raw, True, "issuer certificate")
    expect(OID_AKI in raw.extensions, "authorityKeyIdentifier is missing")
    crit, v = raw.extensions[OID_AKI]
    expect(not crit, "authorityKeyIdentifier must not be critical")
    t = parse_exact(v, "AKI")
    kid = [c for c in t.children() if c.tag == 0x80]
    expect(t.tag == 0x30 and len(kid) == 1, "authorityKeyIdentifier has no keyIdentifier [0]")
    expect(kid[0].value == issuer_ski, "AKI %s is not the issuer's SKI %s" % (kid[0].value.hex(), issuer_ski.hex()))


def check_ku(raw, want):
    expect(OID_KU in raw.extensions, "keyUsage is missing")
    crit, v = raw.extensions[OID_KU]
    expect(crit, "keyUsage must be critical")
    expect(v == want, "keyUsage is %s, want %s" % (hexb(v), hexb(want)))


def check_bc(raw, want):
    expect(OID_BC in raw.extensions, "basicConstraints is missing")
    crit, v = raw.extensions[OID_BC]
    expect(crit, "basicConstraints must be critical")
    expect(v == want, "basicConstraints is %s, want %s" % (hexb(v), hexb(want)))


def spki_curve(cert):
    pub = cert.public_key()
    if isinstance(pub, ec.EllipticCurvePublicKey):
        return pub.curve.name
    return type(pub).__name__


def check_urls(cert, http, tenant, profile_ca):
    """CRL DP http://H/crl/<tenant>/<ca>.crl, AIA OCSP http://H/ocsp, caIssuers http://H/ca/<tenant>/<ca>.crt."""
    raw = RawCert(der_of(cert))
    for oid, name in ((OID_CDP, "cRLDistributionPoints"), (OID_AIA, "authorityInfoAccess")):
        expect(oid in raw.extensions, "%s is missing" % name)
        expect(not raw.extensions[oid][0], "%s must not be critical" % name)
    cdp = cert.extensions.get_extension_for_oid(ExtensionOID.CRL_DISTRIBUTION_POINTS).value
    crl_uris = [g.value for dp in cdp for g in (dp.full_name or []) if isinstance(g, x509.UniformResourceIdentifier)]
    expect(len(crl_uris) >= 1, "cRLDistributionPoints has no URI fullName")
    aia = cert.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
    ocsp = [d.access_location.value for d in aia if d.access_method == x509.AuthorityInformationAccessOID.OCSP]
    ca_issuers = [d.access_location.value for d in aia if d.access_method == x509.AuthorityInformationAccessOID.CA_ISSUERS]
    expect(len(ocsp) == 1, "AIA must carry exactly one OCSP URI, has %r" % ocsp)
    expect(len(ca_issuers) == 1, "AIA must carry exactly one caIssuers URI, has %r" % ca_issuers)
    host = re.escape(http) if http else r"[A-Za-z0-9.\-\[\]:]+"
    m_crl = re.fullmatch(r"http://(%s)/crl/%s/([A-Za-z0-9._-]+)\.crl" % (host, re.escape(tenant)), crl_uris[0])
    expect(m_crl, "CRL DP URI %r is not http://%s/crl/%s/<ca>.crl" % (crl_uris[0], http or "HOST:PORT", tenant))
    base, ca = m_crl.group(1), m_crl.group(2)
    expect(ocsp[0] == "http://%s/ocsp" % base, "OCSP URI %r, want http://%s/ocsp" % (ocsp[0], base))
    want_ci = "http://%s/ca/%s/%s.crt" % (base, tenant, ca)
    expect(ca_issuers[0] == want_ci, "caIssuers URI %r, want %r (same CA as the CRL DP)" % (ca_issuers[0], want_ci))
    return ca


def name_attrs(name):
    return [(a.oid.dotted_string, a.value) for a in name]


def check_subject_and_sans(profile, cert, raw, csr):
    subj = name_attrs(cert.subject)
    cn = [v for o, v in subj if o == NameOID.COMMON_NAME.dotted_string]
    sn = [v for o, v in subj if o == NameOID.SERIAL_NUMBER.dotted_string]
    try:
        san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        san_names, san_crit = list(san.value), san.critical
    except x509.ExtensionNotFound:
        san_names, san_crit = [], False
    if not subj:
        expect(san_names and san_crit, "empty subject requires a critical subjectAltName")
    csr_subj = name_attrs(csr.subject) if csr is not None else None
    csr_san = []
    if csr is not None:
        try:
            csr_san = list(csr.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value)
        except x509.ExtensionNotFound:
            pass

    def csr_attr(oid):
        return [v for o, v in csr_subj if o == oid.dotted_string]

    dns_ip = lambda names: sorted(str(n.value) for n in names if isinstance(n, (x509.DNSName, x509.IPAddress)))
    if profile == "tls-server":
        expect(san_names, "tls-server certificate has no subjectAltName")
        expect(all(isinstance(n, (x509.DNSName, x509.IPAddress)) for n in san_names),
               "tls-server SANs must be DNS/IP only, are %r" % san_names)
        allowed = {NameOID.COMMON_NAME.dotted_string, NameOID.ORGANIZATION_NAME.dotted_string}
        expect(all(o in allowed for o, _ in subj), "tls-server subject may hold only CN and O, has %r" % subj)
        if csr is not None:
            want = dns_ip(csr_san)
            if not want:
                ccn = csr_attr(NameOID.COMMON_NAME)
                expect(ccn and HOST_RE.match(ccn[0]), "test set-up: CSR has no SAN and no host-name CN")
                want = [ccn[0]]
            expect(dns_ip(san_names) == want, "tls-server SANs %r, want the CSR's %r" % (dns_ip(san_names), want))
            expect(cn == csr_attr(NameOID.COMMON_NAME), "subject CN %r, want the CSR's %r" % (cn, csr_attr(NameOID.COMMON_NAME)))
            o = [v for k, v in subj if k == NameOID.ORGANIZATION_NAME.dotted_string]
            expect(o == csr_attr(NameOID.ORGANIZATION_NAME), "subject O %r, want the CSR's %r" % (o, csr_attr(NameOID.ORGANIZATION_NAME)))
    elif profile in ("tls-client", "code-signing"):
        expect(len(cn) == 1 and cn[0], "%s subject must carry one CN" % profile)
        if csr is not None:
            expect(cn == csr_attr(NameOID.COMMON_NAME), "subject CN %r, want the CSR's %r" % (cn, csr_attr(NameOID.COMMON_NAME)))
        if profile == "tls-client" and csr is not None:
            keep = lambda names: sorted((type(n).__name__, str(n.value)) for n in names
                                        if isinstance(n, (x509.DNSName, x509.UniformResourceIdentifier, x509.RFC822Name)))
            expect(keep(san_names) == keep(csr_san), "tls-client SANs %r, want the CSR's %r" % (keep(san_names), keep(csr_san)))
    elif profile == "ldevid":
        expect(cn or sn, "ldevid subject must carry CN and/or serialNumber")
        if csr is not None:
            expect(cn == csr_attr(NameOID.COMMON_NAME), "subject CN %r, want the CSR's %r" % (cn, csr_attr(NameOID.COMMON_NAME)))
            expect(sn == csr_attr(NameOID.SERIAL_NUMBER), "subject serialNumber %r, want the CSR's %r" % (sn, csr_attr(NameOID.SERIAL_NUMBER)))
    elif profile == "idevid":
        expect(len(sn) == 1 and sn[0], "idevid subject must carry serialNumber (2.5.4.5)")
        if csr is not None:
            expect(sn == csr_attr(NameOID.SERIAL_NUMBER), "subject serialNumber %r, want the CSR's %r" % (sn, csr_attr(NameOID.SERIAL_NUMBER)))
    if csr is not None:
        expect(raw.spki.raw == RawCert.spki_of_csr(csr), "the certificate's public key is not the CSR's")


def _spki_of_csr(csr):
    return csr.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


RawCert.spki_of_csr = staticmethod(_spki_of_csr)


def check_end_entity(profile, cert, issuer, args, now):
    ca_kind, days, ekus, want_ski = END_ENTITY[profile]
    raw = RawCert(der_of(cert))
    issuer_raw = RawCert(der_of(issuer))
    csr = load_csr(args.csr) if args.csr else None
    if csr is not None:
        expect(csr.is_signature_valid, "test set-up: the CSR's own signature does not verify")
    check_serial(raw)
    check_signature(cert, raw, issuer)
    # The issuer must be a CA that may sign certificates (pathlen 0 intermediate).
    check_bc(issuer_raw, BC_CA_PATHLEN0)
    check_validity(raw, days, now, False)
    unexpected = [o for o in raw.extension_order if o not in ALLOWED_EE_EXTENSIONS]
    expect(not unexpected, "unexpected extensions %r (nameConstraints and friends are never issued)" % unexpected)
    check_bc(raw, BC_END_ENTITY)
    rsa_key = isinstance(cert.public_key(), rsa.RSAPublicKey)
    want_ku = KU_DIGITAL_SIGNATURE_KEY_ENCIPHERMENT if (profile == "tls-server" and rsa_key) else KU_DIGITAL_SIGNATURE
    check_ku(raw, want_ku)
    if ekus is None:
        expect(OID_EKU not in raw.extensions, "%s must have no extendedKeyUsage" % profile)
    else:
        expect(OID_EKU in raw.extensions, "extendedKeyUsage is missing")
        seq = parse_exact(raw.extensions[OID_EKU][1], "EKU")
        got = [oid_text(c.value) for c in seq.children()]
        expect(len(got) == len(set(got)) and set(got) == ekus, "extendedKeyUsage is %r, want %r" % (got, sorted(ekus)))
    ski = ski_value(raw, want_ski)
    if ski is not None:
        # Method 1 of RFC 5280 §4.2.1.2 or RFC 7093 truncated SHA-256; any >= 8 bytes is legal,
        # but it must identify this key, so it must differ from the issuer's.
        expect(ski != ski_value(issuer_raw, True, "issuer certificate"), "SKI equals the issuer's SKI")
    check_aki(raw, issuer_raw)
    ca = check_urls(cert, args.http, args.tenant, ca_kind)
    check_subject_and_sans(profile, cert, raw, csr)
    pub = cert.public_key()
    expect(isinstance(pub, (ed25519.Ed25519PublicKey, rsa.RSAPublicKey))
           or (isinstance(pub, ec.EllipticCurvePublicKey) and pub.curve.name in ("secp256r1", "secp384r1")),
           "subject key type %s is not P-256/P-384/Ed25519/RSA" % spki_curve(cert))
    if rsa_key:
        expect(cert.public_key().key_size >= 2048, "RSA key below 2048 bits")
    return ca


def check_ca(profile, cert, issuer, now):
    raw = RawCert(der_of(cert))
    check_serial_ca(raw)
    check_validity(raw, None, now, True)
    if profile == "root-ca":
        expect(OID_BC in raw.extensions and raw.extensions[OID_BC][0], "basicConstraints must be present and critical")
        bc = parse_exact(raw.extensions[OID_BC][1], "basicConstraints").children()
        expect(bc and bc[0].tag == 0x01 and bc[0].value == b"\xff", "basicConstraints cA must be TRUE")
    else:
        check_bc(raw, BC_CA_PATHLEN0)
    check_ku(raw, KU_CERT_SIGN_CRL_SIGN)
    ski = ski_value(raw, True)
    curve = spki_curve(cert)
    unexpected = [o for o in raw.extension_order if o not in {OID_BC, OID_KU, OID_SKI, OID_AKI, OID_CDP, OID_AIA, OID_NC, OID_EKU}]
    expect(not unexpected, "unexpected extensions in a CA certificate: %r" % unexpected)
    if profile == "root-ca":
        expect(curve == "secp384r1", "root CA key is %s, want EC P-384" % curve)
        expect(raw.issuer.raw == raw.subject.raw, "root CA is not self-issued")
        check_signature(cert, raw, cert)
        if OID_AKI in raw.extensions:
            check_aki(raw, raw)
    else:
        expect(curve == "secp256r1", "%s key is %s, want EC P-256" % (profile, curve))
        check_signature(cert, raw, issuer)
        check_aki(raw, RawCert(der_of(issuer)))
        expect(ski != ski_value(RawCert(der_of(issuer)), True), "SKI equals the root's SKI")


def check_serial_ca(raw):
    s = raw.serial
    expect(s.tag == 0x02 and 1 <= len(s.value) <= 20 and s.value[0] < 0x80,
           "CA serial must be a positive INTEGER of at most 20 octets")


def parse_rfc3339(text, what):
    expect(isinstance(text, str) and RFC3339_RE.match(text), "%s %r is not RFC 3339" % (what, text))
    t = text.replace("z", "Z").replace("t", "T")
    t = t[:-1] + "+00:00" if t.endswith("Z") else t
    t = re.sub(r"\.\d+", "", t)
    return datetime.datetime.fromisoformat(t)


def check_response(profile, cert, issuer, args):
    try:
        resp = json.load(open(args.response))
    except ValueError as e:
        fail("response is not JSON: %s" % e)
    expect(isinstance(resp, dict), "response is not a JSON object")
    for k in ("serial", "certificate", "chain", "profile", "status", "not_before", "not_after"):
        expect(k in resp, "response lacks %r" % k)
    raw = RawCert(der_of(cert))
    expect(re.fullmatch(r"[0-9a-f]+", str(resp["serial"])), "serial %r is not lower-case hex" % resp["serial"])
    expect(resp["serial"] == raw.serial.value.hex(), "response serial %s, certificate serial %s" % (resp["serial"], raw.serial.value.hex()))
    expect(resp["profile"] == profile, "response profile %r, want %r" % (resp["profile"], profile))
    expect(resp["status"] == "valid", "response status %r, want 'valid'" % resp["status"])
    got = x509.load_pem_x509_certificate(resp["certificate"].encode())
    expect(der_of(got) == der_of(cert), "response certificate differs from the certificate checked")
    chain = re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", resp["chain"], re.S)
    chain = [x509.load_pem_x509_certificate(c.encode()) for c in chain]
    expect(len(chain) >= 1 and der_of(chain[0]) == der_of(issuer), "chain does not start with the issuing CA")
    if args.root:
        root = read_pem_certs(args.root)[0]
        expect(len(chain) == 2 and der_of(chain[1]) == der_of(root), "chain must be issuer CA then root CA (%d certs)" % len(chain))
    f = raw.validity.children()
    nb, na = time_value(f[0], "notBefore"), time_value(f[1], "notAfter")
    expect(parse_rfc3339(resp["not_before"], "not_before") == nb, "not_before %s differs from the certificate's %s" % (resp["not_before"], nb.isoformat()))
    expect(parse_rfc3339(resp["not_after"], "not_after") == na, "not_after %s differs from the certificate's %s" % (resp["not_after"], na.isoformat()))


def main(argv):
    global PROFILE_NAME
    ap = argparse.ArgumentParser(description="Check one fleetpki certificate against its profile.")
    ap.add_argument("cert")
    ap.add_argument("issuer")
    ap.add_argument("profile", choices=sorted(END_ENTITY) + list(CA_PROFILES))
    ap.add_argument("--csr")
    ap.add_argument("--http", help="HOST:PORT of the plain-HTTP listener")
    ap.add_argument("--response")
    ap.add_argument("--root")
    ap.add_argument("--tenant", default="default")
    ap.add_argument("--expect-ca", help="the <ca> part of the CRL/caIssuers URLs, when known")
    args = ap.parse_args(argv)
    PROFILE_NAME = args.profile
    now = datetime.datetime.now(datetime.timezone.utc)
    try:
        cert = read_pem_certs(args.cert)[0]
        issuer = read_pem_certs(args.issuer)[0]
        if args.profile in CA_PROFILES:
            check_ca(args.profile, cert, issuer, now)
        else:
            ca = check_end_entity(args.profile, cert, issuer, args, now)
            if args.expect_ca:
                expect(ca == args.expect_ca, "URLs name CA %r, want %r" % (ca, args.expect_ca))
            if args.response:
                check_response(args.profile, cert, issuer, args)
    except Mismatch as e:
        sys.stderr.write("check_profile: %s: %s: %s\n" % (args.profile, args.cert, e))
        return 1
    except (ValueError, OSError) as e:
        sys.stderr.write("check_profile: %s: %s: cannot parse: %s\n" % (args.profile, args.cert, e))
        return 1
    print("check_profile: %s: %s ok" % (args.profile, args.cert))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
