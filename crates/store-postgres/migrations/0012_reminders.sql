-- Reminders (a meeting soon, an activity due tomorrow) and the staff's notice language.
--
-- A reminder is made once per meeting and start time: `reminded_for` holds the start time a
-- reminder was made for, so a moved meeting (a new start) gets a new one and a repeated scan
-- never a second. The partial index holds only accepted meetings not yet reminded for their
-- current start, so the worker's scan reads the next 24 hours of those and nothing else.
ALTER TABLE meetings ADD COLUMN reminded_for TIMESTAMPTZ;
CREATE INDEX meetings_to_remind ON meetings(starts_at)
    WHERE status = 'accepted' AND reminded_for IS DISTINCT FROM starts_at;

-- The same for activities: `reminded_due` holds the due date (the activity's `end`, as
-- `YYYY-MM-DD`) a reminder was made for. Plan items are documents the store does not read,
-- except for this one index: open activities (planned or in progress) by due date, not yet
-- reminded for that date.
ALTER TABLE plan_items ADD COLUMN reminded_due TEXT;
CREATE INDEX plan_items_due_to_remind ON plan_items(((data::jsonb) ->> 'end'))
    WHERE kind = 'activity'
      AND ((data::jsonb) ->> 'status') IN ('planned', 'in-progress')
      AND reminded_due IS DISTINCT FROM ((data::jsonb) ->> 'end');

-- The language a person last chose in the language switcher (or logged in with): `nb`, `nn`
-- or `en`. Staff notices use it; clients' notices use the language of their contact agreement.
ALTER TABLE users ADD COLUMN language TEXT CHECK (language IN ('nb', 'nn', 'en'));
