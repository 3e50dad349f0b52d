-- Who may do what in the master person index (docs/security.md).  Linking
-- functions run as their owner and check the caller themselves: hub_admin
-- anything, an institution's application its own records only.

ALTER TABLE healthhub.source_records ENABLE ROW LEVEL SECURITY;
CREATE POLICY source_records_read ON healthhub.source_records FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'healthhub.linkage_model()', 'healthhub.prepare_record(text, text, text, text, date, text, text, text, text[])',
        'healthhub.linkage_authorise(text)', 'healthhub.linkage_authorise_admin(text, text)',
        'healthhub.authorised_record(text, text, boolean, boolean)',
        'healthhub.linkage_authorise_person(healthhub.source_records, bigint)', 'healthhub.institution_for_source(text)',
        'healthhub.institutions_named_by(text)', 'healthhub.linkage_authorise_institution(text, bigint)',
        'healthhub.other_number_held(anyelement, bigint)', 'healthhub.identifier_links(anyelement, bigint, boolean, boolean)',
        'healthhub.log_link_event(text, text, text, bigint, bigint, text, text, text, double precision, integer, jsonb, text)',
        'healthhub.find_match(healthhub.source_records, integer)', 'healthhub.sync_person_identifiers(bigint)',
        'healthhub.lock_persons(bigint[])', 'healthhub.require_active(bigint)', 'healthhub.set_manual_match(text, text, bigint)',
        'healthhub.link_record(text, text, text, text, date, text, text, text, text[])',
        'healthhub.link_prepared(healthhub.source_records)', 'healthhub.link_manually(text, text, bigint, text)', 'healthhub.unlink_manually(text, text, bigint, text)',
        'healthhub.review_possible_match(text, text, bigint, boolean, text)',
        'healthhub.merge_persons(bigint, bigint, text)', 'healthhub.unmerge_person(bigint, text)',
        'healthhub.withdraw_record(text, text, text)', 'healthhub.record_death(bigint, date, text)',
        'healthhub.match_explain(text, text, text, text, integer)', 'healthhub.record_history(text, text)',
        'healthhub.resolve(healthhub.resident_id)', 'healthhub.resolve(healthhub.health_identifier)',
        'healthhub.resolve(text)', 'healthhub.current_person(bigint)', 'healthhub.link_batch(text, text)',
        'healthhub.train_linkage(integer, integer, integer, text[], double precision, double precision, boolean)',
        'healthhub.rebuild_block_keys()', 'healthhub.rebuild_name_keys()', 'healthhub.check_name_keys_version()',
        'healthhub.staged_person_records()', 'healthhub.require_no_work_tables(text, text[])',
        'healthhub.replan_when_grown()', 'healthhub.link_clusters(double precision)', 'healthhub.block_pairs(integer)',
        'healthhub.batch_match_score(record, record, integer)', 'healthhub.batch_comparison_levels(record, record)', 'healthhub.forget_block_keys(healthhub.source_records)',
        'healthhub.rebuild_golden(bigint)', 'healthhub.rebuild_golden_set(bigint[])',
        'healthhub.golden_records(bigint[])',
        -- the audited reads (reads.sql)
        'healthhub.linkage_may_read_history()',
        'healthhub.linkage_authorise_history()',
        'healthhub.require_page_size(integer)', 'healthhub.require_record_key(text, text, text)',
        'healthhub.source_record(text, text)',
        'healthhub.source_records_of(text, text, integer)', 'healthhub.person_details(bigint)',
        'healthhub.person_records(bigint)', 'healthhub.person_identifiers_of(bigint)',
        'healthhub.record_links(text, text)', 'healthhub.pending_reviews(timestamptz, integer)',
        'healthhub.find_persons_with_two_numbers()', 'healthhub.person_history(bigint)',
        'healthhub.link_history(timestamptz, timestamptz, bigint, integer)']
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$$;

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'institution_app', 'clinician', 'pharmacist', 'insurer']) pr,
       unnest(ARRAY['healthhub.resolve(healthhub.resident_id)', 'healthhub.resolve(healthhub.health_identifier)',
                    'healthhub.resolve(text)', 'healthhub.current_person(bigint)']) f
UNION ALL
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'institution_app']) pr,
       unnest(ARRAY['healthhub.link_record(text, text, text, text, date, text, text, text, text[])',
                    'healthhub.link_manually(text, text, bigint, text)',
                    'healthhub.unlink_manually(text, text, bigint, text)',
                    'healthhub.withdraw_record(text, text, text)',
                    'healthhub.match_explain(text, text, text, text, integer)']) f
UNION ALL
SELECT 'hub_admin', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.review_possible_match(text, text, bigint, boolean, text)',
                    'healthhub.merge_persons(bigint, bigint, text)', 'healthhub.unmerge_person(bigint, text)',
                    'healthhub.record_death(bigint, date, text)', 'healthhub.linkage_model()',
                    'healthhub.link_batch(text, text)',
                    'healthhub.train_linkage(integer, integer, integer, text[], double precision, double precision, boolean)',
                    'healthhub.rebuild_block_keys()', 'healthhub.rebuild_name_keys()']) f
UNION ALL
-- Tables of the model and of the name keys: no personal data.  The person
-- index itself (persons, person_identifiers, source_records, link_decisions,
-- links, link_events, person_separations, review_queue,
-- persons_with_two_numbers, the staged extract) no profile reads directly: a
-- plain SELECT leaves no trace.  The audited functions of reads.sql read it.
SELECT 'hub_admin', 'table', t, 'SELECT'
  FROM unnest(ARRAY['healthhub.linkage_models', 'healthhub.linkage_weights', 'healthhub.surname_frequencies',
                    'healthhub.name_keys_made_with']) t
UNION ALL
SELECT 'hub_admin', 'table', 'healthhub.survivorship_rules', 'SELECT, INSERT, UPDATE, DELETE'
UNION ALL
-- hub_admin stages an extract (COPY) and may empty the staging table; it
-- does not read it back (link_batch does)
SELECT 'hub_admin', 'table', 'healthhub.stage_person_records', 'INSERT, DELETE'
UNION ALL
SELECT 'hub_admin', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.person_details(bigint)', 'healthhub.person_records(bigint)',
                    'healthhub.person_identifiers_of(bigint)', 'healthhub.record_links(text, text)',
                    'healthhub.pending_reviews(timestamptz, integer)',
                    'healthhub.find_persons_with_two_numbers()']) f
UNION ALL
-- an application reads its own records (source_record, source_records_of:
-- its own institution's, without the score its link decision had against
-- another institution's record)
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'institution_app']) pr,
       unnest(ARRAY['healthhub.source_record(text, text)', 'healthhub.source_records_of(text, text, integer)']) f
UNION ALL
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'auditor']) pr,
       unnest(ARRAY['healthhub.record_history(text, text)', 'healthhub.person_history(bigint)',
                    'healthhub.link_history(timestamptz, timestamptz, bigint, integer)']) f;

-- The person index changes only through its functions, each recorded
-- (link.<action>, person_records.load.delta, linkage.train, linkage.rebuild_name_keys;
-- docs/linkage.md); survivorship_rules has the audit_changes trigger.
INSERT INTO healthhub.audit_exemptions
SELECT 'healthhub.' || t, 'functions', 'link.<action> and person_records.load.delta'
  FROM unnest(ARRAY['persons', 'person_identifiers', 'source_records', 'link_decisions', 'person_separations',
                    'link_events', 'record_block_keys', 'link_locks']) t
UNION ALL
SELECT 'healthhub.stage_person_records', 'staging', 'person_records.load.delta of the batch that reads it'
UNION ALL
SELECT 'healthhub.' || t, 'functions', 'linkage.train'
  FROM unnest(ARRAY['linkage_models', 'linkage_weights', 'surname_frequencies']) t
UNION ALL
SELECT 'healthhub.name_keys_made_with', 'functions', 'linkage.rebuild_name_keys';

-- Roles that already hold a profile (an upgrade) get what it now includes.
SELECT healthhub.apply_profile_privileges(rp.role_name, rp.profile, true)
  FROM healthhub.role_profiles rp
  JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) rp.role::pg_catalog.oid
                             AND r.rolname OPERATOR(pg_catalog.=) rp.role_name;
