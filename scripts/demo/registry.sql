-- The registry and the audit trail, on the demo hub: load a sample registry
-- from staged files, refuse a blacklisted practitioner, and prove the trail
-- still extends a checkpoint taken outside the database.
\pset footer off
\timing on
SET client_min_messages = warning;

\echo
\echo '== 9. Load a sample registry (staged files, validated row by row; re-loading changes nothing)'
INSERT INTO healthhub.stage_institutions (source_ref, name, kind, level, grade, region, uscc, valid_from)
SELECT code, name, CASE code WHEN 'YL-PH' THEN 'retail_pharmacy' WHEN 'INS-SZ' THEN 'insurer'
                             WHEN 'FT-CHC' THEN 'primary_care' ELSE 'hospital' END,
       CASE WHEN code LIKE 'SZ-%' THEN '3' END, CASE WHEN code LIKE 'SZ-%' THEN '甲' END,
       '440304', healthhub.ingest_uscc(uscc_as_sent)::text, '2020-01-01'   -- a flagged code keeps its '?'
  FROM demo.institutions;
INSERT INTO healthhub.stage_practitioners (source_ref, resident_id, name) VALUES
    ('D1', '11010519491231002X', '张三丰'), ('D2', '440524188001010014', '李时珍'),
    ('D3', '610104196209276908', '王清任'), ('D4', '110105194912310021', '错号码');
INSERT INTO healthhub.stage_licences (licence_no, practitioner_ref, kind, valid_from) VALUES
    ('110440300001', 'D1', 'physician', '2010-01-01'), ('110440300002', 'D2', 'physician', '2010-01-01'),
    ('210440300003', 'D3', 'pharmacist', '2015-01-01');
INSERT INTO healthhub.stage_registrations (source_ref, licence_no, institution_ref, valid_from) VALUES
    ('R1', '110440300001', 'SZ-PH', '2020-01-01'), ('R2', '110440300002', 'SZ-CH', '2020-01-01'),
    ('R3', '210440300003', 'YL-PH', '2020-01-01');
-- the load is keyed on the file's digest; here, a digest of what was staged
SELECT encode(sha256(convert_to(string_agg(s::text, E'\n' ORDER BY s::text), 'UTF8')), 'hex') AS digest
  FROM (SELECT * FROM healthhub.stage_institutions) s \gset
SELECT entity, staged, loaded, rejected FROM healthhub.load_registry('demo-nhc', :'digest', 'snapshot');
SELECT entity, line_no, column_name, reason FROM healthhub.load_errors ORDER BY entity, line_no;
SELECT DISTINCT already_loaded AS same_file_again_is_a_no_op
  FROM healthhub.load_registry('demo-nhc', :'digest', 'snapshot');
SELECT count(*) AS institutions, (SELECT count(*) FROM healthhub.practice_rights) AS practice_rights
  FROM healthhub.institutions;

\echo
\echo '== 10. One violation, restricted everywhere: blacklist Dr Li and ask again'
SELECT p.practitioner_key AS li FROM healthhub.practitioners p WHERE p.name = '李时珍' \gset
SELECT i.institution_key AS children FROM healthhub.institutions i WHERE i.source_ref = 'SZ-CH' \gset
SELECT healthhub.may_practise(:li, 'physician', :children) AS may_practise_before;
SELECT healthhub.blacklist_subject('practitioner', :li, 'falsified prescriptions', 'Shenzhen health commission',
                                   tstzrange(now(), NULL)) IS NOT NULL AS blacklisted;
SELECT healthhub.may_practise(:li, 'physician', :children) AS may_practise_after,
       healthhub.why_not_practise(:li, 'physician', :children) AS why_not;
\set ON_ERROR_STOP 0
\set VERBOSITY default
SELECT healthhub.assert_may_practise(:li, 'physician', :children);
\set ON_ERROR_STOP 1

\echo
\echo '== 11. The audit trail: seal, checkpoint (kept outside the database), verify'
SELECT healthhub.audit_append('demo.report', 'report', 'main-job', NULL, 'statistics', 'ok') IS NOT NULL AS appended;
SELECT healthhub.audit_checkpoint() AS checkpoint \gset
\echo checkpoint: :checkpoint
SELECT action, count(*) FROM healthhub.audit_entries GROUP BY action ORDER BY action;
SELECT ok, problem, detail FROM healthhub.verify_audit(:'checkpoint');
