-- The insured, their year so far, claims and settlements (docs/settlement.md).
-- Every table carries the person key (distributed by it on Citus).

-- The insured: a person of the person index, the scheme, the insured
-- region, in service or retired, the assistance tier, the personal account.
CREATE TABLE healthhub.insured_persons (
    person_key      bigint PRIMARY KEY,
    insutype        text NOT NULL CHECK (insutype IN ('310', '390')),
    insuplc_admdvs  healthhub.region_code NOT NULL REFERENCES healthhub.regions (code),
    psn_type        text NOT NULL CHECK (psn_type IN ('in_service', 'retired')),
    assistance_tier text CHECK (assistance_tier ~ '^[a-z0-9_]{1,20}$'),
    acct_balance    numeric(16, 2) NOT NULL DEFAULT 0 CHECK (acct_balance >= 0)
);
COMMENT ON TABLE healthhub.insured_persons IS
    'The insured: scheme, insured region, in service or retired, assistance tier, personal account balance';
SELECT pg_catalog.pg_extension_config_dump('healthhub.insured_persons', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.insured_persons
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('insured_person', 'person_key', 'settlement');

-- The year so far of each fund of a person: the sum of the live
-- settlements' contributions (a reversal subtracts its own).
CREATE TABLE healthhub.insured_years (
    person_key     bigint NOT NULL,
    year           integer NOT NULL CHECK (year BETWEEN 2000 AND 9999),
    fund_pay_type  text NOT NULL CHECK (fund_pay_type ~ '^[1-9][0-9]{5}$'),
    deductible_met numeric(16, 2) NOT NULL DEFAULT 0 CHECK (deductible_met >= 0),
    base_done      numeric(16, 2) NOT NULL DEFAULT 0 CHECK (base_done >= 0),
    paid           numeric(16, 2) NOT NULL DEFAULT 0 CHECK (paid >= 0),
    PRIMARY KEY (person_key, year, fund_pay_type)
);
COMMENT ON TABLE healthhub.insured_years IS
    'Per person, year and fund: the deductible met, the base above it, what the fund paid (the live settlements'' sums)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.insured_years', '');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.insured_years', 'derived', 'the sums of settlement_funds, written with each settlement and reversal');

-- A claim: a visit's bill at an institution, line by line.
CREATE TABLE healthhub.claims (
    person_key      bigint NOT NULL,
    claim_key       bigint NOT NULL DEFAULT healthhub.mint_key(),
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,
    mdtrt_id        text NOT NULL CHECK (mdtrt_id ~ '^[0-9A-Za-z_.:-]{1,40}$'),
    begntime        timestamptz NOT NULL,
    admission       boolean NOT NULL DEFAULT false,
    trip_status     text NOT NULL DEFAULT 'local' CHECK (trip_status IN ('local', 'resident_elsewhere', 'transfer',
                                                                          'unfiled_emergency', 'unfiled_normal')),
    days            integer NOT NULL DEFAULT 1 CHECK (days BETWEEN 1 AND 366),    -- of stay, or of supply
    diagnoses       text[] NOT NULL DEFAULT '{}',
    encounter_key   bigint,     -- the encounter billed (submit_encounter_claim)
    dispense_key    bigint,     -- the dispense billed (submit_dispense_claim)
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    PRIMARY KEY (person_key, claim_key),
    UNIQUE (institution_key, mdtrt_id),
    CONSTRAINT claims_one_source CHECK (encounter_key IS NULL OR dispense_key IS NULL)
);
CREATE UNIQUE INDEX claims_by_key ON healthhub.claims (claim_key);
CREATE INDEX claims_by_encounter ON healthhub.claims (encounter_key) WHERE encounter_key IS NOT NULL;
COMMENT ON TABLE healthhub.claims IS
    'A visit''s bill: institution, visit number, time, admission, trip status, days, diagnoses, the encounter or dispense billed';
SELECT pg_catalog.pg_extension_config_dump('healthhub.claims', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.claims
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('claim', 'claim_key', 'settlement');
ALTER TABLE healthhub.claims ENABLE ROW LEVEL SECURITY;
CREATE POLICY claims_own ON healthhub.claims FOR SELECT USING (healthhub.row_allowed('own', institution_key));

CREATE TABLE healthhub.claim_lines (
    person_key          bigint NOT NULL,
    claim_key           bigint NOT NULL,
    line_no             integer NOT NULL CHECK (line_no BETWEEN 1 AND 1000),
    med_list_codg       text NOT NULL CHECK (med_list_codg ~ '^[0-9A-Za-z.-]{1,50}$'),
    det_item_fee_sumamt numeric(16, 2) NOT NULL CHECK (det_item_fee_sumamt >= 0),
    cnt                 numeric(16, 4) NOT NULL DEFAULT 1 CHECK (cnt > 0),
    hosp_appr_flag      text NOT NULL DEFAULT '0' CHECK (hosp_appr_flag IN ('0', '1', '2')),
    PRIMARY KEY (person_key, claim_key, line_no),
    FOREIGN KEY (person_key, claim_key) REFERENCES healthhub.claims ON DELETE CASCADE
);
COMMENT ON TABLE healthhub.claim_lines IS 'The lines of a claim: item code, amount, quantity, hospital approval';
SELECT pg_catalog.pg_extension_config_dump('healthhub.claim_lines', '');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.claim_lines', 'functions', 'claim.insert of the claim they are written with');

-- A settlement: the 2207 result of a claim, written once per idempotency
-- key; a claim has at most one live settlement.
CREATE TABLE healthhub.settlements (
    person_key      bigint NOT NULL,
    setl_key        bigint NOT NULL DEFAULT healthhub.mint_key(),
    claim_key       bigint NOT NULL,
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,
    idempotency_key text NOT NULL CHECK (idempotency_key ~ '^[0-9A-Za-z_.:-]{1,64}$'),
    policy_key      bigint NOT NULL REFERENCES healthhub.settle_policies,
    catalogue_key   bigint NOT NULL REFERENCES healthhub.settle_catalogues,
    insutype        text NOT NULL,
    insuplc_admdvs  healthhub.region_code NOT NULL,
    mdtrtarea_admvs healthhub.region_code NOT NULL,
    year            integer NOT NULL,
    setl_time       timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    medfee_sumamt   numeric(16, 2) NOT NULL,
    fund_pay_sumamt numeric(16, 2) NOT NULL,
    psn_part_amt    numeric(16, 2) NOT NULL,
    acct_pay        numeric(16, 2) NOT NULL,
    psn_cash_pay    numeric(16, 2) NOT NULL,
    hosp_part_amt   numeric(16, 2) NOT NULL,
    result          jsonb NOT NULL,
    reversed_at     timestamptz,
    reversal_reason text CHECK (length(reversal_reason) <= 500),
    PRIMARY KEY (person_key, setl_key),
    UNIQUE (institution_key, idempotency_key),
    FOREIGN KEY (person_key, claim_key) REFERENCES healthhub.claims,
    CONSTRAINT settlements_reversal CHECK ((reversed_at IS NULL) = (reversal_reason IS NULL))
);
CREATE UNIQUE INDEX settlements_by_key ON healthhub.settlements (setl_key);
CREATE UNIQUE INDEX settlements_live_claim ON healthhub.settlements (person_key, claim_key) WHERE reversed_at IS NULL;
COMMENT ON TABLE healthhub.settlements IS
    'Each settlement of a claim: the 2207 result, both regions, the policy and catalogue used; reversed or not';
SELECT pg_catalog.pg_extension_config_dump('healthhub.settlements', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.settlements
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('settlement', 'setl_key', 'settlement');
ALTER TABLE healthhub.settlements ENABLE ROW LEVEL SECURITY;
CREATE POLICY settlements_own ON healthhub.settlements FOR SELECT USING (healthhub.row_allowed('own', institution_key));

-- What each fund of a settlement paid, and what it added to the person's
-- year (a reversal subtracts exactly that).
CREATE TABLE healthhub.settlement_funds (
    person_key       bigint NOT NULL,
    setl_key         bigint NOT NULL,
    fund_pay_type    text NOT NULL,
    inscp_scp_amt    numeric(16, 2) NOT NULL,
    crt_payb_lmt_amt numeric(16, 2) NOT NULL,
    fund_payamt      numeric(16, 2) NOT NULL,
    deductible_added numeric(16, 2) NOT NULL,
    base_added       numeric(16, 2) NOT NULL,
    PRIMARY KEY (person_key, setl_key, fund_pay_type)
    -- (no foreign key: written with its settlement, by settle() only, never
    -- changed; a check per row cost a tenth of a settlement's time)
);
COMMENT ON TABLE healthhub.settlement_funds IS 'Per settlement and fund (setldetail): base, limit, payment, what it added to the year';
SELECT pg_catalog.pg_extension_config_dump('healthhub.settlement_funds', '');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.settlement_funds', 'functions', 'settlement.insert of the settlement they are written with');

-- Double-entry ledger: each settlement's lines sum to zero (positive: paid
-- from the account, negative: received); a reversal posts them negated.
CREATE TABLE healthhub.ledger_lines (
    person_key bigint NOT NULL,
    setl_key   bigint NOT NULL,
    line_no    integer NOT NULL,
    account    text NOT NULL CHECK (account ~ '^(fund:[0-9]{6}|personal_account|family_account:[0-9]+|cash|hospital_bears|institution:[0-9]+)$'),
    amount     numeric(16, 2) NOT NULL,
    reversal   boolean NOT NULL DEFAULT false,
    posted_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    PRIMARY KEY (person_key, setl_key, line_no)
    -- (no foreign key: as settlement_funds)
);
COMMENT ON TABLE healthhub.ledger_lines IS 'The double-entry lines of each settlement and reversal (they sum to zero)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.ledger_lines', '');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.ledger_lines', 'functions', 'settlement.insert and settlement.update of the settlement they post');
