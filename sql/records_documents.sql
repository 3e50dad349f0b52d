-- The EMR document index under consent: registering, superseding and
-- withdrawing documents; consents (an institution, every institution, a
-- practitioner; a guardian for a child; revoked); documents_for() as the one
-- read path (own, consented, break-glass), each read one entry of the
-- trail that a rollback keeps; the resident's view of who read their
-- records; the break-glass review queue; who may do what.
SET search_path = healthhub, public;
SET datestyle = 'ISO, YMD';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;
\set d '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'

INSERT INTO institutions (uscc, name, kind, level, grade, region, source, source_ref, valid) VALUES
    ('121200004013590816', '记录测试人民医院', 'hospital', '3', '甲', '440303', 'records-test', 'RA', '[2000-01-01,)'),
    ('91110000600037341L', '记录测试社区医院', 'primary_care', NULL, NULL, '440304', 'records-test', 'RB', '[2000-01-01,)'),
    ('91340600MA2PBM9HXD', '记录测试口腔医院', 'hospital', '2', '甲', '440305', 'records-test', 'RC', '[2000-01-01,)');
SELECT institution_key AS inst_a FROM institutions WHERE source_ref = 'RA' \gset
SELECT institution_key AS inst_b FROM institutions WHERE source_ref = 'RB' \gset
SELECT institution_key AS inst_c FROM institutions WHERE source_ref = 'RC' \gset
-- a physician registered at B
INSERT INTO practitioners (name) VALUES ('记录测试医生') RETURNING practitioner_key AS doc_b \gset
INSERT INTO licences (licence_no, practitioner_key, kind, validity) VALUES ('REC-0001', :doc_b, 'physician', '[2020-01-01,2040-01-01)')
RETURNING licence_key AS lic_b \gset
INSERT INTO registrations (licence_key, institution_key, role, period) VALUES (:lic_b, :inst_b, 'primary', '[2020-01-01,)');

CREATE ROLE rec_app_a;
CREATE ROLE rec_app_b;
CREATE ROLE rec_clin_c;
CREATE ROLE rec_resident;
CREATE ROLE rec_auditor;
CREATE ROLE rec_stat;
SELECT grant_profile('rec_app_a', 'institution_app', :inst_a);
SELECT grant_profile('rec_app_b', 'institution_app', :inst_b);
SELECT grant_profile('rec_clin_c', 'clinician', :inst_c);
SELECT grant_profile('rec_resident', 'resident_service');
SELECT grant_profile('rec_auditor', 'auditor');
SELECT grant_profile('rec_stat', 'statistician');

-- A's patient, and B's record of the same person; a child with a guardian
SET ROLE rec_app_a;
SELECT person_key AS wu FROM link_record('RA', 'a-1', '吴敬梓', '1', '1971-03-04', '440303197103040017', NULL, '440303') \gset
SELECT person_key AS wu_child FROM link_record('RA', 'a-2', '吴小梓', '1', '2018-05-06', NULL, NULL, '440303') \gset
RESET ROLE;
SET ROLE rec_app_b;
SELECT person_key = :wu AS same_person FROM link_record('RB', 'b-1', '吴敬梓', '1', '1971-03-04', '440303197103040017', NULL, '440304');
RESET ROLE;

-- registering: the holder's own documents, against its own record of the person
SET ROLE rec_app_a;
SELECT register_document('RA', 'a-1', ('discharge_summary:121200004013590816:ZY-1:20261101T020000Z:sha256:' || :'d')::emr_ref,
                         'https://emr.a.example/doc/ZY-1', 20480, 'application/pdf') IS NOT NULL AS registered;
SELECT register_document('RA', 'a-1', ('lab_report:121200004013590816:LIS-7:20261102T020000Z:sha256:' || :'d')::emr_ref,
                         'https://emr.a.example/doc/LIS-7', 4096, 'application/fhir+json') IS NOT NULL AS registered;
SELECT register_document('RA', 'a-1', ('outpatient_record:121200004013590816:MZ-3:20261103T020000Z:sha256:' || :'d')::emr_ref,
                         'https://emr.a.example/doc/MZ-3', 1024, 'text/xml', 'very_restricted') IS NOT NULL AS registered;
SELECT register_document('RA', 'a-2', ('outpatient_record:121200004013590816:MZ-9:20261104T020000Z:sha256:' || :'d')::emr_ref,
                         'https://emr.a.example/doc/MZ-9', 1024, 'text/xml') IS NOT NULL AS registered;
-- bad registrations
SELECT register_document('RA', 'a-1', ('discharge_summary:121200004013590816:ZY-1:20261101T020000Z:sha256:' || :'d')::emr_ref,
                         'https://emr.a.example/doc/ZY-1', 20480, 'application/pdf');
SELECT register_document('RA', 'a-1', ('no_such_kind:121200004013590816:X-1:20261101T020000Z:sha256:' || :'d')::emr_ref,
                         'x', 1, 'text/plain');
SELECT register_document('RA', 'a-404', ('lab_report:121200004013590816:LIS-8:20261102T020000Z:sha256:' || :'d')::emr_ref,
                         'x', 1, 'text/plain');
SELECT register_document('RB', 'b-1', ('lab_report:121200004013590816:LIS-8:20261102T020000Z:sha256:' || :'d')::emr_ref,
                         'x', 1, 'text/plain');
SELECT register_document('RA', 'a-1', ('lab_report:91110000600037341L:LIS-8:20261102T020000Z:sha256:' || :'d')::emr_ref,
                         'x', 1, 'text/plain');
SELECT register_document('RA', 'a-1', ('lab_report:92340621MA2UK3PJXE:LIS-8:20261102T020000Z:sha256:' || :'d')::emr_ref,
                         'x', 1, 'text/plain');
SELECT register_document('RA', 'a-1', ('lab_report:121200004013590816:LIS-8:20261102T020000Z:sha256:' || :'d')::emr_ref,
                         'x', -1, 'text/plain');
SELECT register_document('RA', 'a-1', ('lab_report:121200004013590816:LIS-8:20261102T020000Z:sha256:' || :'d')::emr_ref,
                         'x', 1, 'PDF');
SELECT register_document('RA', 'a-1', ('lab_report:121200004013590816:LIS-8:20261102T020000Z:sha256:' || :'d')::emr_ref,
                         'x', 1, 'text/plain', 'secret');
SELECT register_document('RA', 'a-1', NULL, 'x', 1, 'text/plain');
-- a corrected version replaces the old; a withdrawn one is gone from reads
SELECT supersede_document(('lab_report:121200004013590816:LIS-7:20261102T020000Z:sha256:' || :'d')::emr_ref,
                          ('lab_report:121200004013590816:LIS-7:20261102T020000Z:sha256:' || repeat('ab', 32))::emr_ref,
                          'https://emr.a.example/doc/LIS-7v2', 4100, 'application/fhir+json') IS NOT NULL AS superseded;
SELECT supersede_document(('lab_report:121200004013590816:LIS-7:20261102T020000Z:sha256:' || :'d')::emr_ref,
                          ('lab_report:121200004013590816:LIS-7:20261102T020000Z:sha256:' || repeat('cd', 32))::emr_ref,
                          'x', 1, 'text/plain');
SELECT supersede_document(('discharge_summary:121200004013590816:ZY-1:20261101T020000Z:sha256:' || :'d')::emr_ref,
                          ('lab_report:121200004013590816:ZY-1:20261101T020000Z:sha256:' || repeat('cd', 32))::emr_ref,
                          'x', 1, 'text/plain');
SELECT register_document('RA', 'a-1', ('exam_report:121200004013590816:PACS-1:20261105T020000Z:sha256:' || :'d')::emr_ref,
                         'https://pacs.a.example/1', 1, 'application/dicom') IS NOT NULL AS registered;
SELECT withdraw_document(('exam_report:121200004013590816:PACS-1:20261105T020000Z:sha256:' || :'d')::emr_ref,
                         'registered for the wrong patient');
SELECT withdraw_document(('exam_report:121200004013590816:PACS-1:20261105T020000Z:sha256:' || :'d')::emr_ref, 'again');
SELECT withdraw_document(('discharge_summary:121200004013590816:ZY-1:20261101T020000Z:sha256:' || :'d')::emr_ref, ' ');
-- the holder reads its own documents, with no consent needed
SELECT kind, service_time, access FROM documents_for(:wu, 'treatment');
RESET ROLE;
SET ROLE rec_app_b;
SELECT withdraw_document(('discharge_summary:121200004013590816:ZY-1:20261101T020000Z:sha256:' || :'d')::emr_ref, 'not mine');
-- B without consent: nothing of A's (its own record of the person has no documents)
SELECT count(*) AS without_consent FROM documents_for(:wu, 'treatment');
RESET ROLE;

-- consents: the resident's app records them
SET ROLE rec_resident;
SELECT give_consent(:wu, 'treatment', 'app consent 2026-11-20 09:00', institution => :inst_b) AS consent_b \gset
SELECT give_consent(:wu, 'referral', 'app consent 2026-11-20 09:01') IS NOT NULL AS consent_all_referral;
SELECT give_consent(:wu, 'treatment', 'app consent 2026-11-20 09:02', practitioner => :doc_b,
                    valid => tstzrange(now() - interval '1 day', now() - interval '1 hour')) IS NOT NULL AS expired_one;
SELECT give_consent(:wu, 'sightseeing', 'x');
SELECT give_consent(:wu, 'treatment', ' ');
SELECT give_consent(-1, 'treatment', 'x');
SELECT give_consent(:wu, 'treatment', 'x', valid => 'empty');
-- a guardian consents for a child, not for an adult
SELECT give_consent(:wu_child, 'treatment', 'guardian form 7', institution => :inst_c, guardian => :wu,
                    valid => tstzrange(now(), now() + interval '20 years')) IS NOT NULL AS for_child;
SELECT give_consent(:wu, 'treatment', 'guardian form 8', guardian => :wu_child);
SELECT give_consent(:wu_child, 'treatment', 'guardian form 9', guardian => :wu_child);
-- (a guardian's consent ends when the child comes of age)
SELECT lower(valid) <= now() AS from_now, upper(valid) AT TIME ZONE 'UTC' AS until_eighteen FROM consents_of(:wu_child);
SELECT purpose, institution_key = :inst_b AS to_b, institution_key IS NULL AND practitioner_key IS NULL AS to_all,
       practitioner_key = :doc_b AS to_doctor, guardian_key IS NOT NULL AS by_guardian, revoked_at IS NULL AS in_force
  FROM consents_of(:wu) ORDER BY recorded_at, consent_key;
RESET ROLE;

-- B with consent for treatment: A's documents, not the very restricted one
SET ROLE rec_app_b;
SELECT kind, access FROM documents_for(:wu, 'treatment');
SELECT kind, access FROM documents_for(:wu, 'treatment', kinds => ARRAY['lab_report']);
SELECT kind, access FROM documents_for(:wu, 'treatment', period => tstzrange('2026-11-01', '2026-11-02'));
-- referral is consented to every institution
SELECT count(*) AS referral FROM documents_for(:wu, 'referral');
-- the practitioner's consent expired: nothing more through it
SELECT count(*) AS via_doctor FROM documents_for(:wu, 'emergency', practitioner => :doc_b);
SELECT count(*) FROM documents_for(:wu, 'treatment', practitioner => -7);
SELECT count(*) FROM documents_for(:wu, 'gossip');
-- a read in a transaction rolled back is still in the trail
BEGIN;
SELECT count(*) AS read_then_rolled_back FROM documents_for(:wu, 'treatment');
ROLLBACK;
RESET ROLE;

-- revoked: from then on B sees nothing of A's
SET ROLE rec_resident;
SELECT revoke_consent(:wu, :consent_b, 'changed my mind');
\set VERBOSITY terse
SELECT revoke_consent(:wu, :consent_b, 'again');
\set VERBOSITY default
RESET ROLE;
SET ROLE rec_app_b;
SELECT count(*) AS after_revocation FROM documents_for(:wu, 'treatment');
RESET ROLE;

-- C, without any consent: nothing; breaking the glass needs a reason
SET ROLE rec_clin_c;
SELECT count(*) AS without_consent FROM documents_for(:wu, 'emergency');
SELECT count(*) FROM documents_for(:wu, 'emergency', break_glass_reason => '  ');
SELECT kind, access FROM documents_for(:wu, 'emergency', break_glass_reason => 'unconscious patient, allergy history needed');
-- the child's guardian consented to C
SELECT kind, access FROM documents_for(:wu_child, 'treatment');
RESET ROLE;

-- the resident sees who read their records, when and why
SET ROLE rec_resident;
SELECT institution, what, purpose, outcome FROM accesses_of(:wu) ORDER BY "at", institution;
SELECT count(*) FROM accesses_of(:wu, 0);
RESET ROLE;

-- the auditor's review queue of break-glass reads
SET ROLE rec_auditor;
SELECT person_key = :wu AS the_person, institution_key = :inst_c AS by_c, purpose FROM break_glass_queue;
SELECT entry_id AS glass_entry FROM break_glass_queue WHERE person_key = :wu \gset
SELECT review_break_glass(:glass_entry, 'justified', 'emergency department record confirms the admission');
\set VERBOSITY terse
SELECT review_break_glass(:glass_entry, 'justified', 'twice');
\set VERBOSITY default
SELECT count(*) AS still_queued FROM break_glass_queue WHERE person_key = :wu;
SELECT count(*) FROM accesses_of(:wu);
RESET ROLE;

-- nobody reads the index or the consents directly; other profiles have no path
SET ROLE rec_app_b;
SELECT count(*) FROM emr_documents;
SELECT count(*) FROM record_consents;
SELECT give_consent(:wu, 'treatment', 'forged by an institution');
SELECT accesses_of(:wu);
RESET ROLE;
SET ROLE rec_stat;
SELECT count(*) FROM documents_for(:wu, 'treatment');
SELECT count(*) FROM break_glass_queue;
RESET ROLE;
SET ROLE rec_resident;
SELECT count(*) FROM documents_for(:wu, 'treatment');
RESET ROLE;

-- the trail: registrations, consents, and each read with the person's key, never a document
SELECT action, count(*) FROM audit_entries
 WHERE person_key IN (:wu, :wu_child) AND action NOT LIKE 'person%' AND action NOT LIKE 'link%' AND action NOT LIKE 'source_record%'
 GROUP BY action ORDER BY action;

-- documents follow their record through the person index: a person merged
-- into another brings their documents; unmerged, takes them back
SET ROLE rec_app_a;
SELECT person_key AS xu FROM link_record('RA', 'a-3', '许宣', '1', '1980-01-01', NULL, NULL, '440303') \gset
SELECT register_document('RA', 'a-3', ('lab_report:121200004013590816:LIS-99:20261120T020000Z:sha256:' || :'d')::emr_ref,
                         'https://emr.a.example/doc/LIS-99', 10, 'text/plain') IS NOT NULL AS registered;
SELECT count(*) AS before_merge FROM documents_for(:wu, 'treatment');
RESET ROLE;
-- (and consents count for the person merged into: the second key's consent to B)
SET ROLE rec_resident;
SELECT give_consent(:xu, 'treatment', 'app consent of the second key', institution => :inst_b) IS NOT NULL AS consented;
RESET ROLE;
SET ROLE rec_app_b;
SELECT count(*) AS b_before_merge FROM documents_for(:wu, 'treatment');
RESET ROLE;
SELECT merge_persons(:xu, :wu, 'the same man, registered twice') = :wu AS merged;
SET ROLE rec_app_a;
SELECT count(*) AS merged FROM documents_for(:wu, 'treatment');
SELECT count(*) AS through_the_old_key FROM documents_for(:xu, 'treatment');
RESET ROLE;
SET ROLE rec_app_b;
SELECT kind, access FROM documents_for(:wu, 'treatment');
RESET ROLE;
SET ROLE rec_resident;
SELECT count(*) AS consents_after_merge FROM consents_of(:wu) WHERE revoked_at IS NULL;
RESET ROLE;
SELECT unmerge_person(:xu, 'two men after all') = :xu AS unmerged;
SET ROLE rec_app_a;
SELECT count(*) AS after_unmerge FROM documents_for(:wu, 'treatment');
SELECT kind FROM documents_for(:xu, 'treatment');
RESET ROLE;
SET ROLE rec_app_b;
SELECT count(*) AS b_reads_first_after_unmerge FROM documents_for(:wu, 'treatment');
SELECT kind, access FROM documents_for(:xu, 'treatment');
RESET ROLE;

-- leave the hub as it was for later tests
SELECT revoke_profile(r::regrole, p) FROM (VALUES ('rec_app_a', 'institution_app'), ('rec_app_b', 'institution_app'),
       ('rec_clin_c', 'clinician'), ('rec_resident', 'resident_service'), ('rec_auditor', 'auditor'),
       ('rec_stat', 'statistician')) x(r, p);
DROP ROLE rec_app_a, rec_app_b, rec_clin_c, rec_resident, rec_auditor, rec_stat;
DELETE FROM break_glass_reviews;
DELETE FROM record_consents;
DELETE FROM emr_documents;
DELETE FROM person_identifiers WHERE person_key IN (SELECT person_key FROM source_records WHERE source IN ('RA', 'RB'));
DELETE FROM record_block_keys WHERE record_id IN (SELECT record_id FROM source_records WHERE source IN ('RA', 'RB'));
DELETE FROM link_decisions WHERE source IN ('RA', 'RB');
DELETE FROM source_records WHERE source IN ('RA', 'RB');
DELETE FROM registrations WHERE licence_key = :lic_b;
DELETE FROM licences WHERE licence_key = :lic_b;
DELETE FROM practitioners WHERE practitioner_key = :doc_b;
DELETE FROM institutions WHERE source = 'records-test';
