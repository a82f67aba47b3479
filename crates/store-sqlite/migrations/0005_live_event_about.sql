-- What a live event is about (a thread, a meeting, ...), so notices can be throttled per
-- thing. An id only, never content.
ALTER TABLE live_events ADD COLUMN about TEXT;
