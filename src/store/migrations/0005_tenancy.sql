-- 0005: tenancy (issue #4): CA administration (name constraints, bring-your-own CAs waiting for
-- their certificate), token listing, operator client certificates, idempotency keys.

-- Name constraints the operator set on a CA (JSON; NULL = none), and for a CA whose certificate is
-- signed elsewhere ("bring your own CA"), its CSR until the certificate is installed. Such a CA is
-- in status 'pending' with an empty certificate_der.
ALTER TABLE cas ADD COLUMN name_constraints_json TEXT;
ALTER TABLE cas ADD COLUMN csr_der BLOB;
-- The issuer chain of a bring-your-own CA (PEM, up to the customer's root), which is not a CA of
-- ours: appended to the CA's chain in responses.
ALTER TABLE cas ADD COLUMN external_chain_pem TEXT;

-- Listing a tenant's tokens pages by rowid (appended to every index entry).
CREATE INDEX tokens_tenant ON tokens(tenant_id);

-- Operator client certificates (mutual TLS on the REST API): the SHA-256 of the DER certificate
-- pins it, so a certificate from any CA (the customer's own included) can be registered.
CREATE TABLE operator_certificates (
  fingerprint  TEXT    PRIMARY KEY,          -- lower-case hex SHA-256 of the DER certificate
  tenant_id    INTEGER REFERENCES tenants(id),  -- NULL = platform scope
  role         TEXT    NOT NULL,
  subject      TEXT    NOT NULL,
  not_after    INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  revoked      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX operator_certificates_tenant ON operator_certificates(tenant_id);

-- Idempotency keys of POST requests that create things: the first answer is stored and replayed
-- for a retry with the same key and the same request; a different request under a used key is a
-- conflict. Keys are scoped by the credential that sent them.
CREATE TABLE idempotency_keys (
  principal     TEXT    NOT NULL,
  key           TEXT    NOT NULL,
  request_hash  TEXT    NOT NULL,            -- hex SHA-256 of method, path and body
  status        INTEGER NOT NULL,
  content_type  TEXT    NOT NULL,
  body          TEXT    NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
