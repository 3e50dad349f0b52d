-- Reads of settlements and accounts: every read recorded (docs/settlement.md,
-- "Who sees what").

-- The person's account balance, for the institution where the person is
-- (its own record of the patient), at the counter: one read.account entry.
CREATE FUNCTION healthhub.account_balance(source text, local_id text) RETURNS numeric
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['institution_app', 'clinician', 'pharmacist'],
                                                          'read account balances');
    subject bigint;
    balance numeric;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.account_balance', ARRAY['source', 'local_id'],
                                        ARRAY[source IS NULL, local_id IS NULL]);
    subject := healthhub.settle_patient(source, local_id, institution,
        'A balance is read for the institution''s own record of the patient at the counter.');
    SELECT i.acct_balance INTO balance FROM healthhub.insured_persons i WHERE i.person_key = subject;
    PERFORM healthhub.audit_append('read.account', 'person', subject::text, subject, 'settlement',
                                   CASE WHEN balance IS NULL THEN 'not_insured' ELSE 'ok' END);
    IF balance IS NULL THEN
        PERFORM healthhub.rx_refuse('the patient is not insured', 'No row of healthhub.insured_persons for the person.');
    END IF;
    RETURN balance;
END
$$;

-- The settlements of the persons insured in this hub's region (the
-- insurer's region: a hub serves one), settled in a period of dates
-- (Beijing time): keys and amounts, no names.  One read.settlements entry.
CREATE FUNCTION healthhub.region_settlements(from_date date, to_date date)
    RETURNS TABLE (setl_id bigint, person_key bigint, setl_time timestamptz, insutype text,
                   insuplc_admdvs healthhub.region_code, mdtrtarea_admvs healthhub.region_code, institution_key bigint,
                   medfee_sumamt numeric, fund_pay_sumamt numeric, psn_part_amt numeric, hosp_part_amt numeric,
                   reversed boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    region healthhub.region_code := (SELECT h.region FROM healthhub.hub h);
BEGIN
    PERFORM healthhub.require_profile(ARRAY['insurer'], 'read the settlements of a region');
    PERFORM healthhub.require_arguments('healthhub.region_settlements', ARRAY['from_date', 'to_date'],
                                        ARRAY[from_date IS NULL, to_date IS NULL]);
    PERFORM healthhub.audit_append('read.settlements', 'region', region || ' ' || from_date || ' ' || to_date,
                                   NULL, 'settlement', 'ok');
    RETURN QUERY
    SELECT s.setl_key, s.person_key, s.setl_time, s.insutype, s.insuplc_admdvs, s.mdtrtarea_admvs, s.institution_key,
           s.medfee_sumamt, s.fund_pay_sumamt, s.psn_part_amt, s.hosp_part_amt, s.reversed_at IS NOT NULL
      FROM healthhub.settlements s
     WHERE s.setl_time >= (from_date::timestamp AT TIME ZONE 'Asia/Shanghai')
       AND s.setl_time < ((to_date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
       AND healthhub.region_code_contains(region, s.insuplc_admdvs)
     ORDER BY s.setl_time, s.setl_key;
END
$$;
REVOKE ALL ON FUNCTION healthhub.account_balance(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.region_settlements(date, date) FROM PUBLIC;

-- A person's own settlements, everywhere (for the person's app, and
-- auditors): where, when, what each part paid, reversed or not.  One
-- read.settlements entry naming the person.
CREATE FUNCTION healthhub.settlements_of(person bigint, max_rows integer DEFAULT 100)
    RETURNS TABLE (setl_id bigint, setl_time timestamptz, institution text, mdtrtarea_admvs healthhub.region_code,
                   medfee_sumamt numeric, fund_pay_sumamt numeric, acct_pay numeric, acct_mulaid_pay numeric,
                   psn_cash_pay numeric, hosp_part_amt numeric, reversed boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject bigint;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['resident_service', 'auditor'], 'read a person''s settlements');
    PERFORM healthhub.require_arguments('healthhub.settlements_of', ARRAY['person', 'max_rows'],
                                        ARRAY[person IS NULL, max_rows IS NULL]);
    PERFORM healthhub.require_page_size(max_rows);
    subject := healthhub.record_person(person);
    PERFORM healthhub.audit_append('read.settlements', 'person', subject::text, subject, 'right to know');
    RETURN QUERY
    SELECT s.setl_key, s.setl_time, i.name, s.mdtrtarea_admvs, s.medfee_sumamt, s.fund_pay_sumamt, s.acct_pay,
           (s.result->>'acct_mulaid_pay')::numeric, s.psn_cash_pay, s.hosp_part_amt, s.reversed_at IS NOT NULL
      FROM healthhub.settlements s JOIN healthhub.institutions i ON i.institution_key = s.institution_key
     WHERE s.person_key IN (SELECT m.person_key FROM healthhub.merged_person_keys(subject) m)
     ORDER BY s.setl_time DESC, s.setl_key DESC
     LIMIT max_rows;
END
$$;
REVOKE ALL ON FUNCTION healthhub.settlements_of(bigint, integer) FROM PUBLIC;
COMMENT ON FUNCTION healthhub.settlements_of(bigint, integer) IS
    'A person''s own settlements, everywhere (resident_service, auditor); recorded';

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM (VALUES
    ('institution_app', 'healthhub.account_balance(text, text)'),
    ('clinician', 'healthhub.account_balance(text, text)'),
    ('pharmacist', 'healthhub.account_balance(text, text)'),
    ('insurer', 'healthhub.region_settlements(date, date)'),
    ('resident_service', 'healthhub.settlements_of(bigint, integer)'),
    ('auditor', 'healthhub.settlements_of(bigint, integer)')) v(pr, f);
