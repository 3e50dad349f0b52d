-- Settlement policy as data (docs/settlement.md, "Policy"): nothing of it
-- is in C.  A policy is the rules of one scheme (310 employees, 390
-- residents) of one insured region over a period of dates; its funds are
-- rows (stage, fund code, for which institution level, person type and
-- assistance tier; deductible, bands, cap); an unfiled trip's reduction is
-- a row per trip status.  A catalogue is the items of the region of the
-- place of treatment over a period.  Periods of one region and scheme (or
-- one region's catalogues) never overlap.  Reference tables on Citus.

-- the key of a region and a scheme, for the exclusion constraints (a
-- region code is six digits; the scheme three)
CREATE FUNCTION healthhub.settle_scope(region healthhub.region_code, insutype text) RETURNS int8range
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN pg_catalog.int8range(region::integer::bigint * 1000 + coalesce(insutype, '0')::bigint,
                                region::integer::bigint * 1000 + coalesce(insutype, '0')::bigint, '[]');

CREATE TABLE healthhub.settle_policies (
    policy_key     bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    insuplc_admdvs healthhub.region_code NOT NULL REFERENCES healthhub.regions (code),
    insutype       text NOT NULL CHECK (insutype IN ('310', '390')),
    valid          daterange NOT NULL CHECK (NOT isempty(valid) AND NOT lower_inf(valid)),
    account_pays   boolean NOT NULL DEFAULT false,
    mutual_aid     boolean NOT NULL DEFAULT false,
    basis          text NOT NULL CHECK (btrim(basis) <> '' AND length(basis) <= 500),
    CONSTRAINT settle_policies_no_overlap EXCLUDE USING gist
        (healthhub.settle_scope(insuplc_admdvs, insutype) WITH =, valid WITH &&)
);
COMMENT ON TABLE healthhub.settle_policies IS
    'The settlement policy of a scheme (310, 390) of an insured region over a period: whether the personal account pays';
SELECT pg_catalog.pg_extension_config_dump('healthhub.settle_policies', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.settle_policies
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('settle_policy', 'policy_key', 'settlement policy');
GRANT SELECT ON healthhub.settle_policies TO PUBLIC;

-- A fund of a policy.  For a visit the most specific row of each stage (and
-- supplement) applies: the institution level and the person type named
-- before '*'; assistance only for a person of its tier.
CREATE TABLE healthhub.settle_fund_rules (
    policy_key         bigint NOT NULL REFERENCES healthhub.settle_policies ON DELETE CASCADE,
    stage              text NOT NULL CHECK (stage IN ('basic', 'tier2', 'supplement', 'assistance')),
    seq                smallint NOT NULL DEFAULT 1 CHECK (seq BETWEEN 1 AND 4),
    fund_pay_type      text NOT NULL CHECK (fund_pay_type ~ '^[1-9][0-9]{5}$'),
    hosp_lv            text NOT NULL DEFAULT '*' CHECK (hosp_lv IN ('1', '2', '3', '*')),
    psn_type           text NOT NULL DEFAULT '*' CHECK (psn_type IN ('in_service', 'retired', '*')),
    assistance_tier    text NOT NULL DEFAULT '*' CHECK (assistance_tier ~ '^([a-z0-9_]{1,20}|\*)$'),
    dedc_std           numeric(16, 2) NOT NULL DEFAULT 0 CHECK (dedc_std >= 0),
    dedc_per_admission boolean NOT NULL DEFAULT false,
    bands              jsonb NOT NULL CHECK (jsonb_typeof(bands) = 'array'),
    annual_cap         numeric(16, 2) CHECK (annual_cap >= 0),
    PRIMARY KEY (policy_key, stage, seq, hosp_lv, psn_type, assistance_tier),
    CONSTRAINT settle_fund_rules_assistance_tier CHECK ((stage = 'assistance') = (assistance_tier <> '*'))
);
COMMENT ON TABLE healthhub.settle_fund_rules IS
    'The funds of a policy: stage, fund code, institution level, person type, assistance tier, deductible, bands, cap';
SELECT pg_catalog.pg_extension_config_dump('healthhub.settle_fund_rules', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.settle_fund_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('settle_fund_rule', 'policy_key,stage,seq,hosp_lv,psn_type',
                                                          'settlement policy');
GRANT SELECT ON healthhub.settle_fund_rules TO PUBLIC;

-- What a trip away from the insured region loses: ratio points off every
-- band of the basic fund, by the trip's status (医保发〔2022〕22号).
CREATE TABLE healthhub.settle_trip_rules (
    policy_key      bigint NOT NULL REFERENCES healthhub.settle_policies ON DELETE CASCADE,
    trip_status     text NOT NULL CHECK (trip_status IN ('local', 'resident_elsewhere', 'transfer',
                                                          'unfiled_emergency', 'unfiled_normal')),
    ratio_reduction numeric(5, 4) NOT NULL CHECK (ratio_reduction BETWEEN 0 AND 1),
    PRIMARY KEY (policy_key, trip_status)
);
COMMENT ON TABLE healthhub.settle_trip_rules IS 'The ratio points a trip of each status loses on the basic fund';
SELECT pg_catalog.pg_extension_config_dump('healthhub.settle_trip_rules', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.settle_trip_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('settle_trip_rule', 'policy_key,trip_status', 'settlement policy');
GRANT SELECT ON healthhub.settle_trip_rules TO PUBLIC;

-- The item catalogue of a region (of the place of treatment) over a period.
CREATE TABLE healthhub.settle_catalogues (
    catalogue_key   bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    mdtrtarea_admvs healthhub.region_code NOT NULL REFERENCES healthhub.regions (code),
    valid           daterange NOT NULL CHECK (NOT isempty(valid) AND NOT lower_inf(valid)),
    basis           text NOT NULL CHECK (btrim(basis) <> '' AND length(basis) <= 500),
    CONSTRAINT settle_catalogues_no_overlap EXCLUDE USING gist
        (healthhub.settle_scope(mdtrtarea_admvs, NULL) WITH =, valid WITH &&)
);
COMMENT ON TABLE healthhub.settle_catalogues IS 'The item catalogue of a region of treatment over a period';
SELECT pg_catalog.pg_extension_config_dump('healthhub.settle_catalogues', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.settle_catalogues
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('settle_catalogue', 'catalogue_key', 'settlement policy');
GRANT SELECT ON healthhub.settle_catalogues TO PUBLIC;

CREATE TABLE healthhub.settle_items (
    catalogue_key  bigint NOT NULL REFERENCES healthhub.settle_catalogues ON DELETE CASCADE,
    med_list_codg  text NOT NULL CHECK (med_list_codg ~ '^[0-9A-Za-z.-]{1,50}$'),
    name           text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    chrgitm_lv     text NOT NULL CHECK (chrgitm_lv IN ('01', '02', '03')),
    selfpay_prop   numeric(5, 4) NOT NULL DEFAULT 0 CHECK (selfpay_prop BETWEEN 0 AND 1),
    pric_uplmt_amt numeric(16, 2) CHECK (pric_uplmt_amt >= 0),
    lmt_used_flag  boolean NOT NULL DEFAULT false,
    -- what the smart audit checks (src/settle/audit.sql): for one sex, an
    -- age range, a quantity a day, the diagnoses (ICD-10 categories) it is for
    lmt_sex        smallint CHECK (lmt_sex IN (1, 2)),
    lmt_age        int4range CHECK (NOT isempty(lmt_age)),
    max_cnt_a_day  numeric(16, 4) CHECK (max_cnt_a_day > 0),
    for_diagnoses  text[] CHECK (for_diagnoses <> '{}'),
    PRIMARY KEY (catalogue_key, med_list_codg),
    CONSTRAINT settle_items_b_class_ratio CHECK (chrgitm_lv = '02' OR selfpay_prop = 0)
);
COMMENT ON TABLE healthhub.settle_items IS
    'A catalogue''s items: class (01 A, 02 B, 03 C), B-class self-pay-first ratio, unit price cap, restricted use, and the smart audit''s limits (sex, age, quantity a day, diagnoses)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.settle_items', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.settle_items
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('settle_item', 'catalogue_key,med_list_codg', 'settlement policy');
GRANT SELECT ON healthhub.settle_items TO PUBLIC;
