-- The demo's health codes at the Shenzhen hub (scripts/demo.sh): a signing
-- key, three persons of the index with their statuses, a grandmother bound
-- to her grandson's phone with her consent, and the codes his phone shows.
\pset footer off
SET client_min_messages = warning;
SELECT encode(healthhub.create_signing_key(), 'hex') AS shenzhen_signing_key;
CREATE TEMP TABLE family AS
SELECT p.person_key, row_number() OVER (ORDER BY p.birth_date) AS n
  FROM (SELECT * FROM healthhub.persons WHERE birth_date IS NOT NULL AND name IS NOT NULL ORDER BY person_key LIMIT 2) p;
SELECT healthhub.set_code_status(person_key, 'epidemic_status', CASE n WHEN 1 THEN 'green' ELSE 'yellow' END)
  FROM family;
SELECT healthhub.bind_code_holder(young.person_key, old.person_key, 'grandparent', 'bound_person',
                                  'signed consent, community health centre') AS bound
  FROM family old, family young WHERE old.n = 1 AND young.n = 2;
\echo 'The codes the grandson''s phone shows:'
CREATE TABLE demo.held_codes AS
SELECT h.relation, h.status, h.code FROM family f, healthhub.codes_held_by(f.person_key) h
 WHERE f.n = 2;
SELECT relation, status, left(code::text, 40) || '...' AS code FROM demo.held_codes;
