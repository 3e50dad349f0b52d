-- Attack (issue 10): a statistician computes the pseudonym of numbers of its
-- choosing.  With a person's birth year and region, about 10^5 candidate
-- numbers remain; computing each one's pseudonym and comparing it with the
-- one in a report finds the number in seconds.  Now no profile gets the
-- pseudonym of a number it passes: pseudonyms come only from numbers the hub
-- holds (person_pseudonym(person_key)).
SET search_path = healthhub, public;
\set VERBOSITY default
\set SHOW_CONTEXT never
DELETE FROM hub;
SELECT init_hub('440300', 1) AS hub;

CREATE ROLE hh_enum_stat LOGIN;  SELECT grant_profile('hh_enum_stat', 'statistician');
CREATE ROLE hh_enum_admin LOGIN; SELECT grant_profile('hh_enum_admin', 'hub_admin');
CREATE ROLE hh_enum_audit LOGIN; SELECT grant_profile('hh_enum_audit', 'auditor');
INSERT INTO persons (resident_id) VALUES ('11010519491231002X') RETURNING person_key AS someone \gset
INSERT INTO persons (resident_id) VALUES (NULL) RETURNING person_key AS no_number \gset

SET SESSION AUTHORIZATION hh_enum_stat;
-- the attack: a pseudonym of any number the statistician types
SELECT pseudonym('11010519491231002X');
SELECT pseudonym_of('\x00', '11010519491231002X');
SELECT present_resident_id(candidate) AS none_of_them
  FROM (VALUES ('11010519491231002X'::resident_id), ('110105194912310011')) c(candidate);
-- what the hub computes from the numbers it holds is still there
SELECT person_pseudonym(:someone) ~ '^[0-9a-f]{32}$' AS hex32,
       person_pseudonym(:someone) = person_pseudonym(:someone) AS stable,
       person_pseudonym(:no_number) IS NULL AS no_number_no_pseudonym,
       person_pseudonym(-1) IS NULL AS unknown_person;
SELECT person_pseudonym(NULL);
SELECT person_pseudonym(:someone) AS p \gset stat_
RESET SESSION AUTHORIZATION;

-- the same pseudonym for hub_admin; the owner's helper agrees
SET SESSION AUTHORIZATION hh_enum_admin;
SELECT person_pseudonym(:someone) = :'stat_p' AS same_for_hub_admin;
SELECT pseudonym('11010519491231002X');
RESET SESSION AUTHORIZATION;
SELECT pseudonym('11010519491231002X') = :'stat_p' AS the_number_it_holds;
-- pseudonyms are stable across a number's forms, 32 hex digits, never the number
SELECT pseudonym('11010519491231002X') = pseudonym('110105491231002') AS stable,
       length(pseudonym('11010519491231002X')) AS len,
       pseudonym('11010519491231002X') <> pseudonym('440524188001010014') AS distinct_persons;

-- a merged person: its survivor's pseudonym
INSERT INTO persons (state, redirected_to) VALUES ('redirected', :someone) RETURNING person_key AS merged \gset
SET SESSION AUTHORIZATION hh_enum_stat;
SELECT person_pseudonym(:merged) = :'stat_p' AS survivor;
-- (the persons themselves stay out of reach)
SELECT count(*) FROM persons;
RESET SESSION AUTHORIZATION;

-- a role shown masked numbers gets no pseudonym at all
SET SESSION AUTHORIZATION hh_enum_audit;
SELECT person_pseudonym(:someone);
RESET SESSION AUTHORIZATION;

DELETE FROM persons WHERE person_key = :merged;
DELETE FROM persons WHERE person_key IN (:someone, :no_number);
SELECT revoke_profile('hh_enum_stat', 'statistician');
SELECT revoke_profile('hh_enum_admin', 'hub_admin');
SELECT revoke_profile('hh_enum_audit', 'auditor');
DROP ROLE hh_enum_stat, hh_enum_admin, hh_enum_audit;
