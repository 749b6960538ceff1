-- Placeholder: filled by the asynchronous job queue work.
SELECT 1;
