"""An EST client that links its CSR to the TLS session (RFC 7030 §3.5): curl cannot.

Connects with TLS 1.2 (the only version with tls-unique, RFC 5929), reads the channel binding
of the connection, builds a P-256 CSR whose challengePassword is base64(tls-unique) and POSTs it
to simpleenroll on the same connection. Prints the HTTP status; writes the body to OUT and the
private key to OUT.key.

Usage: est_linking_client.py HOST:PORT EST_PATH CA_CHAIN CERT KEY SERIAL MODE OUT
  EST_PATH  e.g. /.well-known/est/linked/simpleenroll
  MODE      linked   challengePassword = this connection's tls-unique
            replay   the CSR is built on a first connection and sent on a second one
            wrong    challengePassword = base64 of 12 other octets
            none     no challengePassword
Runs under /usr/bin/python3 (Debian's python3-cryptography).
"""
import base64
import http.client
import ssl
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AttributeOID, NameOID


def connect(host, port, ca, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(ca)
    ctx.load_cert_chain(cert, key)
    conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=30)
    conn.connect()
    assert conn.sock.version() == "TLSv1.2", conn.sock.version()
    binding = conn.sock.get_channel_binding("tls-unique")
    assert binding and len(binding) == 12, binding
    return conn, binding


def make_csr(serial, challenge, out):
    key = ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, serial),
                   x509.NameAttribute(NameOID.SERIAL_NUMBER, serial)]))
    if challenge is not None:
        builder = builder.add_attribute(AttributeOID.CHALLENGE_PASSWORD, challenge)
    csr = builder.sign(key, hashes.SHA256())
    with open(out + ".key", "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return base64.encodebytes(csr.public_bytes(serialization.Encoding.DER))


def post(conn, path, body):
    conn.request("POST", path, body=body, headers={"Content-Type": "application/pkcs10"})
    response = conn.getresponse()
    return response.status, response.read()


def main():
    hostport, path, ca, cert, key, serial, mode, out = sys.argv[1:9]
    host, port = hostport.rsplit(":", 1)
    conn, binding = connect(host, int(port), ca, cert, key)
    if mode == "linked":
        body = make_csr(serial, base64.b64encode(binding), out)
    elif mode == "replay":
        body = make_csr(serial, base64.b64encode(binding), out)
        conn.close()
        conn, second = connect(host, int(port), ca, cert, key)
        assert second != binding, "two handshakes gave the same tls-unique"
    elif mode == "wrong":
        other = bytes(b ^ 0x55 for b in binding)
        body = make_csr(serial, base64.b64encode(other), out)
    elif mode == "none":
        body = make_csr(serial, None, out)
    else:
        sys.exit("unknown mode " + mode)
    status, data = post(conn, path, body)
    conn.close()
    with open(out, "wb") as f:
        f.write(data)
    print(status)


if __name__ == "__main__":
    main()
