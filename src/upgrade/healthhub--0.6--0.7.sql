-- healthhub 0.6 -> 0.7 (the release being built: docs/development.md,
-- "Releases").  Every change to the SQL of src/ since 0.6 is written here
-- too, by hand; t/003 compares the result with a fresh install.
\echo Use "ALTER EXTENSION healthhub UPDATE TO '0.7'" to load this file. \quit
