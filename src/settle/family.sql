-- Family mutual aid (家庭共济, docs/settlement.md): an employee's personal
-- account pays the person's part of the bills of the family members its
-- holder binds (spouse, parents, children), insured in the same region.
-- The person's app (resident_service) binds and unbinds for the holder.

-- A binding: the member whose bills the account of the holder pays.
-- Distributed by the member (the settlement reads it); the holder's
-- balance is the holder's row, so a settlement paid by a family account
-- writes two persons' rows (on Citus: a distributed transaction).
CREATE TABLE healthhub.family_accounts (
    person_key  bigint NOT NULL,     -- the member
    holder_key  bigint NOT NULL,     -- the account's holder
    relation    text NOT NULL CHECK (relation IN ('spouse', 'parent', 'child')),
    evidence    text NOT NULL CHECK (length(evidence) BETWEEN 1 AND 500),
    bound_at    timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    ended_at    timestamptz,
    end_reason  text CHECK (length(end_reason) <= 500),
    PRIMARY KEY (person_key, holder_key, bound_at),
    CONSTRAINT family_accounts_not_self CHECK (person_key <> holder_key),
    CONSTRAINT family_accounts_end CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
CREATE UNIQUE INDEX family_accounts_live ON healthhub.family_accounts (person_key, holder_key) WHERE ended_at IS NULL;
COMMENT ON TABLE healthhub.family_accounts IS
    'Family mutual aid: whose personal account (the holder''s) pays the person''s part of a member''s bills, and since when';
SELECT pg_catalog.pg_extension_config_dump('healthhub.family_accounts', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.family_accounts
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('family_account', 'holder_key', 'settlement');

-- What each family account paid of a settlement (a reversal gives it back).
CREATE TABLE healthhub.settlement_family_pays (
    person_key bigint NOT NULL,
    setl_key   bigint NOT NULL,
    holder_key bigint NOT NULL,
    amount     numeric(16, 2) NOT NULL CHECK (amount > 0),
    PRIMARY KEY (person_key, setl_key, holder_key)
);
COMMENT ON TABLE healthhub.settlement_family_pays IS 'Per settlement: what each bound family account paid (acct_mulaid_pay)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.settlement_family_pays', '');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.settlement_family_pays', 'functions', 'settlement.insert of the settlement they are written with');

-- Bind a member to the holder's account: both insured in the same region,
-- the holder an employee (the scheme with personal accounts); a holder who
-- no longer is (enrol_insured changed it) pays nothing, bound or not.  The
-- member's insured row is locked, as a settlement of the member locks it.
CREATE FUNCTION healthhub.bind_family_account(holder bigint, member bigint, relation text, evidence text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    h healthhub.insured_persons;
    m healthhub.insured_persons;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['resident_service'], 'bind family accounts');
    PERFORM healthhub.require_arguments('healthhub.bind_family_account', ARRAY['holder', 'member', 'relation', 'evidence'],
                                        ARRAY[holder IS NULL, member IS NULL, relation IS NULL, evidence IS NULL]);
    holder := healthhub.record_person(holder);
    member := healthhub.record_person(member);
    IF relation NOT IN ('spouse', 'parent', 'child') THEN
        PERFORM healthhub.rx_refuse('invalid relation: ' || relation, 'The member is the holder''s spouse, parent or child.');
    END IF;
    IF btrim(evidence) = '' OR length(evidence) > 500 THEN
        PERFORM healthhub.rx_refuse('a binding names its evidence', 'The app''s record of the holder''s request, 1 to 500 characters.');
    END IF;
    IF holder = member THEN
        PERFORM healthhub.rx_refuse('an account is bound to another person', 'The holder''s own bills are paid by the account anyway.');
    END IF;
    SELECT * INTO m FROM healthhub.insured_persons x WHERE x.person_key = member FOR UPDATE;
    SELECT * INTO h FROM healthhub.insured_persons x WHERE x.person_key = holder;
    IF h.person_key IS NULL OR m.person_key IS NULL THEN
        PERFORM healthhub.rx_refuse('both persons are insured', 'No row of healthhub.insured_persons for the holder or the member.');
    END IF;
    IF h.insutype <> '310' OR h.insuplc_admdvs OPERATOR(healthhub.<>) m.insuplc_admdvs THEN
        PERFORM healthhub.rx_refuse('the holder is an employee insured in the member''s region',
                                    'Family mutual aid pays from an employee''s personal account within its pooling region.');
    END IF;
    INSERT INTO healthhub.family_accounts (person_key, holder_key, relation, evidence)
    VALUES (member, holder, relation, btrim(evidence));
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'the member is bound to the holder''s account'
        USING ERRCODE = 'unique_violation', DETAIL = 'Unbind it first to bind it again.';
END
$$;

-- End a binding, with a reason (the holder's request, a divorce ...).
CREATE FUNCTION healthhub.unbind_family_account(holder bigint, member bigint, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_profile(ARRAY['resident_service'], 'unbind family accounts');
    PERFORM healthhub.require_arguments('healthhub.unbind_family_account', ARRAY['holder', 'member'],
                                        ARRAY[holder IS NULL, member IS NULL]);
    PERFORM healthhub.rx_require_reason(reason, 'an unbinding');
    holder := healthhub.record_person(holder);
    member := healthhub.record_person(member);
    PERFORM FROM healthhub.insured_persons x WHERE x.person_key = member FOR UPDATE;
    UPDATE healthhub.family_accounts f SET ended_at = clock_timestamp(), end_reason = btrim(reason)
     WHERE f.person_key = member AND f.holder_key = holder AND f.ended_at IS NULL;
    IF NOT FOUND THEN
        PERFORM healthhub.rx_refuse('the member is not bound to the holder''s account', 'Nothing was unbound.');
    END IF;
END
$$;

-- The bindings a person is in, as holder or as member, live and ended.
CREATE FUNCTION healthhub.family_accounts_of(person bigint)
    RETURNS TABLE (holder_key bigint, member_key bigint, relation text, bound_at timestamptz, ended_at timestamptz,
                   end_reason text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject bigint;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['resident_service', 'auditor'], 'read family accounts');
    PERFORM healthhub.require_arguments('healthhub.family_accounts_of', ARRAY['person'], ARRAY[person IS NULL]);
    subject := healthhub.record_person(person);
    PERFORM healthhub.audit_append('read.family_accounts', 'person', subject::text, subject, 'right to know');
    RETURN QUERY
    SELECT f.holder_key, f.person_key, f.relation, f.bound_at, f.ended_at, f.end_reason
      FROM healthhub.family_accounts f
     WHERE f.person_key = subject OR f.holder_key = subject
     ORDER BY f.bound_at, f.person_key, f.holder_key;
END
$$;

-- Who pays for a member from a family account: the live bindings whose
-- holder is an employee insured in the member's region (a holder who no
-- longer is pays nothing, bound or not), with the balance.
CREATE FUNCTION healthhub.settle_family_payers(member bigint)
    RETURNS TABLE (holder_key bigint, acct_balance numeric, bound_at timestamptz)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT f.holder_key, h.acct_balance, f.bound_at
      FROM healthhub.family_accounts f
      JOIN healthhub.insured_persons h ON h.person_key = f.holder_key
      JOIN healthhub.insured_persons m ON m.person_key = f.person_key
     WHERE f.person_key = member AND f.ended_at IS NULL
       AND h.insutype = '310' AND h.insuplc_admdvs OPERATOR(healthhub.=) m.insuplc_admdvs;
END;

-- Take what a settlement's family part (acct_mulaid_pay) was from the
-- member's payers (settle_family_payers), oldest binding first, each up to
-- its balance; (sign -1) give it back.  Under the locks
-- of settle_lock_persons: the member's row (the bindings stay as they are)
-- and the holders' (their balances too).
CREATE FUNCTION healthhub.settle_family_pay(member bigint, setl bigint, amount numeric, sign integer) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF sign > 0 THEN
        INSERT INTO healthhub.settlement_family_pays (person_key, setl_key, holder_key, amount)
        SELECT member, setl, h.holder_key, least(h.acct_balance, amount - (h.upto - h.acct_balance))
          FROM (SELECT p.holder_key, p.acct_balance,
                       sum(p.acct_balance) OVER (ORDER BY p.bound_at, p.holder_key) AS upto
                  FROM healthhub.settle_family_payers(member) p) h
         WHERE h.upto - h.acct_balance < amount AND h.acct_balance > 0;
    END IF;
    UPDATE healthhub.insured_persons x SET acct_balance = x.acct_balance - sign * p.amount
      FROM healthhub.settlement_family_pays p
     WHERE p.person_key = member AND p.setl_key = setl AND x.person_key = p.holder_key;
END
$$;

REVOKE ALL ON FUNCTION healthhub.bind_family_account(bigint, bigint, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.unbind_family_account(bigint, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.family_accounts_of(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.settle_family_payers(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.settle_family_pay(bigint, bigint, numeric, integer) FROM PUBLIC;
COMMENT ON FUNCTION healthhub.bind_family_account(bigint, bigint, text, text) IS
    'Family mutual aid: the holder''s personal account pays the member''s part (resident_service, for the holder)';
COMMENT ON FUNCTION healthhub.family_accounts_of(bigint) IS
    'The family-account bindings of a person, as holder or member (resident_service, auditor); recorded';

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM (VALUES
    ('resident_service', 'healthhub.bind_family_account(bigint, bigint, text, text)'),
    ('resident_service', 'healthhub.unbind_family_account(bigint, bigint, text)'),
    ('resident_service', 'healthhub.family_accounts_of(bigint)'),
    ('auditor', 'healthhub.family_accounts_of(bigint)')) v(pr, f);
