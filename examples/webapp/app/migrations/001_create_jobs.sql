-- The job queue: web inserts, worker takes the oldest queued job with FOR UPDATE SKIP LOCKED.
CREATE TABLE jobs (
  id         bigserial PRIMARY KEY,
  payload    text        NOT NULL,
  status     text        NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'done')),
  created_at timestamptz NOT NULL DEFAULT now(),
  done_at    timestamptz
);

-- Keeps the worker's poll cheap however many finished jobs pile up.
CREATE INDEX jobs_queued_idx ON jobs (id) WHERE status = 'queued';
