-- 0002: lifecycle and revocation (issue #3): CRL partitions, renewal links, the status change log,
-- stored CRLs and their number sequences, delegated OCSP responders, resumable bulk jobs.
--
-- Index layout (see NOTES.md): inserting a valid certificate must cost no index page beyond those
-- of 0001. Both new certificate indexes are partial and skip valid, non-renewal certificates.

ALTER TABLE certificates ADD COLUMN crl_partition INTEGER NOT NULL DEFAULT 0
  CHECK (crl_partition >= 0);
-- The certificate this one renews or re-keys (same tenant; checked by the authority).
ALTER TABLE certificates ADD COLUMN renewal_of INTEGER REFERENCES certificates(id);

-- Only renewals pay for this one.
CREATE INDEX certificates_renewal_of ON certificates(renewal_of) WHERE renewal_of IS NOT NULL;

-- The revoked and suspended certificates of a CRL scope (Store::for_each_revoked). Partial, so that
-- a certificate enters it only when its status leaves 'valid'; covering (every column a CRL entry
-- needs), so that streaming a large CRL reads the index alone, never the rows with their DER.
-- Queries must repeat the literal term status <> 'valid' for the planner to use it.
CREATE INDEX certificates_revoked ON certificates(
  ca_id, crl_partition, not_after, serial_hex, status, revoked_at, revocation_reason)
  WHERE status <> 'valid';

ALTER TABLE cas ADD COLUMN crl_partitions INTEGER NOT NULL DEFAULT 1 CHECK (crl_partitions >= 1);

-- Append-only; written in the same transaction as the status change it records. AUTOINCREMENT:
-- ids never go back, so followers paging by id never miss an entry. No foreign key on
-- certificate_id: it would need an index here (a page per entry) to keep deletes of certificates
-- checkable; the composite key on the CA keeps the tenant consistent.
CREATE TABLE status_changes (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id          INTEGER NOT NULL REFERENCES tenants(id),
  ca_id              INTEGER NOT NULL,
  certificate_id     INTEGER NOT NULL,
  serial_hex         TEXT    NOT NULL,
  crl_partition      INTEGER NOT NULL,
  status             TEXT    NOT NULL,
  revoked_at         INTEGER,
  revocation_reason  INTEGER,
  not_after          INTEGER NOT NULL,
  at                 INTEGER NOT NULL,
  FOREIGN KEY (ca_id, tenant_id) REFERENCES cas(id, tenant_id)
);

-- The last CRL number allocated per scope. Complete and delta CRLs share one sequence.
CREATE TABLE crl_numbers (
  ca_id        INTEGER NOT NULL REFERENCES cas(id),
  partition    INTEGER NOT NULL,
  last_number  INTEGER NOT NULL,
  PRIMARY KEY (ca_id, partition)
) WITHOUT ROWID;

CREATE TABLE crls (
  ca_id           INTEGER NOT NULL REFERENCES cas(id),
  partition       INTEGER NOT NULL,
  number          INTEGER NOT NULL,
  base_number     INTEGER,            -- set for delta CRLs
  this_update     INTEGER NOT NULL,
  next_update     INTEGER NOT NULL,
  last_change_id  INTEGER NOT NULL,
  der             BLOB    NOT NULL,
  PRIMARY KEY (ca_id, partition, number)
);
-- latest_crl: one seek to the newest complete or delta CRL of a scope, however many of the other
-- kind follow it.
CREATE INDEX crls_kind_number ON crls(ca_id, partition, (base_number IS NOT NULL), number);

CREATE TABLE ocsp_responders (
  ca_id            INTEGER PRIMARY KEY REFERENCES cas(id),
  key_ref          TEXT    NOT NULL,
  certificate_der  BLOB    NOT NULL,
  not_after        INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);

CREATE TABLE bulk_jobs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
  kind        TEXT    NOT NULL,
  query_json  TEXT    NOT NULL,
  reason      INTEGER NOT NULL,
  state       TEXT    NOT NULL,
  cursor      INTEGER NOT NULL,
  processed   INTEGER NOT NULL,
  actor       TEXT    NOT NULL,
  request_id  TEXT    NOT NULL,
  error       TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX bulk_jobs_running ON bulk_jobs(id) WHERE state = 'running';
