-- The insured registry is the insurer's (docs/settlement.md, "The
-- insured"): enrol a person of the person index in a scheme of the hub's
-- region (or change the scheme, person type or assistance tier), credit the
-- personal account.  Every change is in the trail (insured_person.*).

-- What was credited to each personal account, and why (the account's
-- statement is these and the settlements).
CREATE TABLE healthhub.account_credits (
    person_key  bigint NOT NULL,
    credit_key  bigint NOT NULL DEFAULT healthhub.mint_key(),
    amount      numeric(16, 2) NOT NULL CHECK (amount > 0),
    reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    credited_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    PRIMARY KEY (person_key, credit_key)
);
COMMENT ON TABLE healthhub.account_credits IS 'What was credited to each personal account (the insurer''s transfers), and why';
SELECT pg_catalog.pg_extension_config_dump('healthhub.account_credits', '');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.account_credits', 'functions', 'insured_person.update of the balance it is credited with');

-- Enrol, or change the enrolment of, a person insured in this hub's region.
CREATE FUNCTION healthhub.enrol_insured(person bigint, insutype text, insuplc_admdvs healthhub.region_code, psn_type text,
                                        assistance_tier text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject bigint;
    region healthhub.region_code;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['insurer'], 'enrol the insured');
    region := (SELECT h.region FROM healthhub.hub h);
    PERFORM healthhub.require_arguments('healthhub.enrol_insured', ARRAY['person', 'insutype', 'insuplc_admdvs', 'psn_type'],
                                        ARRAY[person IS NULL, insutype IS NULL, insuplc_admdvs IS NULL, psn_type IS NULL]);
    subject := healthhub.record_person(person);
    IF insutype NOT IN ('310', '390') THEN
        PERFORM healthhub.rx_refuse('invalid scheme: ' || insutype, '310 (employees) or 390 (residents).');
    END IF;
    IF psn_type NOT IN ('in_service', 'retired') THEN
        PERFORM healthhub.rx_refuse('invalid person type: ' || psn_type, 'in_service or retired.');
    END IF;
    IF assistance_tier !~ '^[a-z0-9_]{1,20}$' THEN
        PERFORM healthhub.rx_refuse('invalid assistance tier: ' || assistance_tier,
                                    '1 to 20 lower-case letters, digits or "_", as the policy''s assistance rules name it.');
    END IF;
    IF NOT healthhub.region_code_contains(region, insuplc_admdvs) THEN
        PERFORM healthhub.rx_refuse(format('region %s is not this hub''s', insuplc_admdvs),
                                    format('This hub enrols the insured of %s; another region''s hub enrols its own.', region));
    END IF;
    INSERT INTO healthhub.insured_persons AS i (person_key, insutype, insuplc_admdvs, psn_type, assistance_tier)
    VALUES (subject, insutype, insuplc_admdvs, psn_type, assistance_tier)
    ON CONFLICT (person_key) DO UPDATE
       SET insutype = EXCLUDED.insutype, insuplc_admdvs = EXCLUDED.insuplc_admdvs, psn_type = EXCLUDED.psn_type,
           assistance_tier = EXCLUDED.assistance_tier
     WHERE (i.insutype, i.insuplc_admdvs::text, i.psn_type, i.assistance_tier)
           IS DISTINCT FROM (EXCLUDED.insutype, EXCLUDED.insuplc_admdvs::text, EXCLUDED.psn_type, EXCLUDED.assistance_tier);
END
$$;

-- Credit a personal account (the monthly transfer, a correction), with a
-- reason; returns the balance after.  Under the person's row lock, as a
-- settlement.
CREATE FUNCTION healthhub.credit_account(person bigint, amount numeric, reason text) RETURNS numeric
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject bigint;
    balance numeric;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['insurer'], 'credit personal accounts');
    PERFORM healthhub.require_arguments('healthhub.credit_account', ARRAY['person', 'amount'],
                                        ARRAY[person IS NULL, amount IS NULL]);
    PERFORM healthhub.rx_require_reason(reason, 'a credit');
    subject := healthhub.record_person(person);
    IF amount <= 0 OR amount <> round(amount, 2) OR amount >= 1e12 THEN
        PERFORM healthhub.rx_refuse('invalid amount: ' || amount, 'A credit is above 0, in yuan, at most 2 decimals.');
    END IF;
    UPDATE healthhub.insured_persons i SET acct_balance = i.acct_balance + amount
     WHERE i.person_key = subject
    RETURNING i.acct_balance INTO balance;
    IF NOT FOUND THEN
        PERFORM healthhub.rx_refuse('the person is not insured', 'Enrol the person first (enrol_insured).');
    END IF;
    INSERT INTO healthhub.account_credits (person_key, amount, reason) VALUES (subject, amount, btrim(reason));
    RETURN balance;
END
$$;

REVOKE ALL ON FUNCTION healthhub.enrol_insured(bigint, text, healthhub.region_code, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.credit_account(bigint, numeric, text) FROM PUBLIC;
COMMENT ON FUNCTION healthhub.enrol_insured(bigint, text, healthhub.region_code, text, text) IS
    'Enrol a person in a scheme of the hub''s region, or change the enrolment (insurer, hub_admin)';
COMMENT ON FUNCTION healthhub.credit_account(bigint, numeric, text) IS
    'Credit a personal account, with a reason; the balance after (insurer, hub_admin)';

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['insurer', 'hub_admin']) pr,
       unnest(ARRAY['healthhub.enrol_insured(bigint, text, healthhub.region_code, text, text)',
                    'healthhub.credit_account(bigint, numeric, text)']) f;
