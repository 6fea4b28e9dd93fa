-- Content-addressed blobs: model inputs and outputs and tool results too large for a workflow's
-- history, which keeps only their digest and size. The key is the sha256 of the content, so a
-- second put of the same content changes nothing.
CREATE TABLE arbiter_blobs (
  digest     text PRIMARY KEY CHECK (digest ~ '^[0-9a-f]{64}$'),
  size       bigint NOT NULL,
  content    bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
