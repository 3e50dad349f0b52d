-- healthhub 0.9 -> 0.10 (the release being built: docs/development.md,
-- "Releases").  Every change to the SQL of src/ since 0.9 is written here
-- too, by hand; t/003 compares the result with a fresh install.  The new
-- room (src/settle/) is appended whole by the Makefile (NEW_PARTS).
\echo Use "ALTER EXTENSION healthhub UPDATE TO '0.10'" to load this file. \quit
