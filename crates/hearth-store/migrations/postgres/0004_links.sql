-- Placeholder: filled by the one-time-key / filedrop work.
SELECT 1;
