-- The engine's sign schedule (CSV for installation crews, one row per stairwell landing), kept with its plan so the
-- download is exactly what `npm run plan -- --out` writes.
ALTER TABLE plans ADD COLUMN sign_schedule text;
