-- 0004: signed audit checkpoints (issue #4). Ids are assigned by the writer (max + 1) because the
-- id is part of the signed text; verification treats a gap as a deleted checkpoint.
CREATE TABLE audit_checkpoints (
  id               INTEGER PRIMARY KEY,
  last_event_id    INTEGER NOT NULL,
  last_event_hash  TEXT    NOT NULL,
  event_count      INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  key_id           TEXT    NOT NULL,
  signature        BLOB    NOT NULL
);
