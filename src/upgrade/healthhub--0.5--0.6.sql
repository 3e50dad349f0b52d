-- healthhub 0.5 -> 0.6: structure for the next areas (issue 11;
-- docs/development.md).  Hand-written: t/003 checks that an upgraded
-- database equals a fresh 0.6, object by object.
\echo Use "ALTER EXTENSION healthhub UPDATE TO '0.6'" to load this file. \quit
