-- healthhub 0.3 -> 0.4: the person index never merges two people and answers
-- each caller only about what it may see (docs/linkage.md).  Hand-written:
-- t/003 checks that an upgraded database equals a fresh 0.4, object by object.
\echo Use "ALTER EXTENSION healthhub UPDATE TO '0.4'" to load this file. \quit
