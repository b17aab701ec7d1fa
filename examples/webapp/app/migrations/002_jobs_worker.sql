-- Which worker container finished a job (its hostname).
ALTER TABLE jobs ADD COLUMN worker text;
