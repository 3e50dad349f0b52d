-- Keeping the person index: training on an extract before linking it (one
-- batch with the model it taught), and the ICU version the name keys were
-- made with (a warning when the server's differs; rebuild_name_keys()).
SET search_path = healthhub, public;
SET datestyle = 'ISO, YMD';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;
SET client_min_messages = warning;
INSERT INTO institutions (name, kind, region, source, source_ref, valid) VALUES
    ('维护测试医院', 'hospital', '440305', 'maint-test', 'TR0', '[2000-01-01,)');

-- (all in one transaction, rolled back: the trained model would otherwise
-- stay in force for the tests after this one)
BEGIN;
-- 200 persons, two records each, one of them a little noisy
INSERT INTO stage_person_records (institution, local_id, name, sex, birth_date, identifier, phone, address_region)
SELECT 'TR' || (g % 2), 'tr-' || g || '-' || copy,
       s.surname || gn.given || CASE WHEN copy = 2 AND g % 7 = 0 THEN ' ' ELSE '' END,
       (1 + g % 2)::text,
       (date '1950-01-01' + (g * 97) % 20000 + CASE WHEN copy = 2 AND g % 11 = 0 THEN 1 ELSE 0 END)::text,
       NULL, '139' || lpad(((g * 7919) % 100000000)::text, 8, '0'), '440305'
  FROM generate_series(1, 200) g, generate_series(1, 2) copy,
       LATERAL (SELECT (ARRAY['王', '李', '张', '刘', '陈', '杨', '欧阳', '赵'])[1 + g % 8] AS surname) s,
       LATERAL (SELECT (ARRAY['伟', '芳', '娜', '敏', '静', '强', '磊', '洋', '艳', '勇', '军', '杰'])[1 + g % 12]
                       || (ARRAY['华', '明', '红', '平', '辉', '玲', '峰', '霞', '刚', '丽', '鹏'])[1 + (g / 12) % 11] AS given) gn;
SELECT count(*) AS staged FROM stage_person_records;
-- training on the staged extract links nothing and leaves it staged
SELECT train_linkage(max_pairs => 1000, random_pairs => 1000, staged => true) > 1 AS trained;
SELECT count(*) AS staged, (SELECT count(*) FROM source_records WHERE source LIKE 'TR_') AS linked
  FROM stage_person_records;
SELECT method, names_must_agree, (SELECT count(*) FROM linkage_weights w WHERE w.model_version = m.model_version) AS weights,
       (SELECT count(*) > 0 FROM surname_frequencies f WHERE f.model_version = m.model_version) AS surnames
  FROM linkage_models m WHERE model_version = linkage_model();
-- then the extract is linked whole with the model it taught
SELECT phase, rows FROM link_batch('trained-extract', 'sha256:' || repeat('7e', 32)) WHERE phase = 'writing';
SELECT (outcome->>'model_version')::integer = linkage_model() AS linked_with_the_trained_model,
       outcome->>'persons_created' AS persons
  FROM loads WHERE source = 'trained-extract';
-- training runs once per transaction; and with nothing staged there is
-- nothing to learn from
SAVEPOINT again;
SELECT train_linkage(staged => true);
ROLLBACK TO SAVEPOINT again;
DROP TABLE train_records, train_random, train_weights, train_fixed, train_keys, train_patterns, train_m;
SELECT train_linkage(staged => true);
ROLLBACK TO SAVEPOINT again;
-- The ICU version of the stored keys: recorded at first use
SELECT icu_version = healthhub.icu_version() AS recorded FROM name_keys_made_with;
-- as if the server's ICU had been upgraded since: a warning on every link
UPDATE name_keys_made_with SET icu_version = '1.0';
SET client_min_messages = notice;
SELECT decision FROM link_record('TR0', 'tr-2-1', '李芳明', '1', (date '1950-01-01' + 194)::date, NULL,
       '13900015838', '440305');
-- rebuild_name_keys() makes them anew (here they come out the same) and records the version
SELECT rebuild_name_keys() AS records_rekeyed;
SELECT icu_version = healthhub.icu_version() AS recorded FROM name_keys_made_with;
SELECT action, object_kind, outcome FROM audit_entries WHERE action = 'linkage.rebuild_name_keys';
-- a key changed by hand is made right again, and so are its blocking keys
UPDATE source_records SET name_pinyin = 'x', name_hanzi = 'x' WHERE local_id = 'tr-5-1';
SELECT rebuild_name_keys() AS records_rekeyed;
SELECT name_hanzi, name_pinyin FROM source_records WHERE local_id = 'tr-5-1';
ROLLBACK;
SELECT count(*) AS models_left FROM linkage_models WHERE method = 'em';

-- for hub_admin only
CREATE ROLE keys_app;
SELECT grant_profile('keys_app', 'institution_app', institution_key) FROM institutions WHERE source_ref = 'TR0';
SET ROLE keys_app;
SELECT rebuild_name_keys();
SELECT train_linkage(staged => true);
RESET ROLE;
SELECT revoke_profile('keys_app', 'institution_app');
DROP ROLE keys_app;

-- leave the registry as it was for later tests
DELETE FROM institutions WHERE source = 'maint-test';
