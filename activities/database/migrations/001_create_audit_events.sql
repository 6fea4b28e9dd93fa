-- The audit trail: one row per event, keyed by the event id so a retried append cannot duplicate it.
CREATE TABLE arbiter_audit_events (
  event_id    text PRIMARY KEY,
  workflow_id text NOT NULL,
  run_id      text NOT NULL,
  process     text NOT NULL,
  tenant      text,
  type        text NOT NULL,
  actor       jsonb NOT NULL,
  authority   text,
  summary     text NOT NULL,
  at          timestamptz NOT NULL,
  -- The whole event as validated, including what was shown and what changed.
  event       jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX arbiter_audit_events_workflow_id_idx ON arbiter_audit_events (workflow_id);
