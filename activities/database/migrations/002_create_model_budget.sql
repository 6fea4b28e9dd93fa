-- The tenants' daily model budgets: one row per reservation a run made before a model call. A row
-- holds the worst case until the call settles, then what the call really cost; a tenant's day is
-- the sum of its rows. Keyed by the reservation id, so a retried reserve or settle changes nothing.
CREATE TABLE arbiter_model_budget (
  reservation_id text PRIMARY KEY,
  tenant         text NOT NULL,
  day            date NOT NULL,
  reserved_usd   numeric(14, 6) NOT NULL,
  spent_usd      numeric(14, 6),
  created_at     timestamptz NOT NULL DEFAULT now(),
  settled_at     timestamptz
);

CREATE INDEX arbiter_model_budget_tenant_day_idx ON arbiter_model_budget (tenant, day);
