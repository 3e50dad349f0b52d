-- Prescriptions, their lifecycle events and their dispenses
-- (docs/prescriptions.md).  A prescription belongs to a person of the
-- person index, through the issuing institution's record of the patient
-- (record_id, as shared records); person_key is the person when it was
-- issued (the distribution key on Citus).  No profile reads these tables:
-- the functions of src/rx/reads.sql read them and leave a trail entry.

CREATE TABLE healthhub.prescriptions (
    person_key       bigint NOT NULL,
    prescription_key bigint NOT NULL DEFAULT healthhub.mint_key(),
    record_id        bigint NOT NULL,       -- the issuing institution's record of the patient
    institution_key  bigint NOT NULL REFERENCES healthhub.institutions,
    rxno             text NOT NULL,         -- hosp_rxno of the content
    prescriber_key   bigint NOT NULL REFERENCES healthhub.practitioners,
    encounter_key    bigint,                -- the visit it was written in, if known
    guardian_key     bigint,                -- who acted for a child online
    assessment       text CHECK (length(assessment) <= 1000),  -- long-term above 4 weeks
    content          healthhub.prescription NOT NULL,
    state            text NOT NULL DEFAULT 'issued'
                     CHECK (state IN ('issued', 'signed', 'approved', 'rejected', 'circulated', 'dispensed',
                                      'settled', 'revoked', 'expired')),
    issued_at        timestamptz NOT NULL,
    valid_until      timestamptz NOT NULL,
    signature        text CHECK (length(signature) <= 4000),   -- dr_sign_info
    pharmacist_key   bigint REFERENCES healthhub.practitioners,  -- the reviewing pharmacist
    reviewed_at      timestamptz,
    circulated_at    timestamptz,
    pharmacy_key     bigint REFERENCES healthhub.institutions,   -- circulated to; NULL: any designated pharmacy
    dispenses_done   integer NOT NULL DEFAULT 0 CHECK (dispenses_done >= 0),
    warnings         text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (person_key, prescription_key),
    UNIQUE (institution_key, rxno),
    CONSTRAINT prescriptions_circulated CHECK (circulated_at IS NOT NULL OR pharmacy_key IS NULL)
);
CREATE UNIQUE INDEX prescriptions_by_key ON healthhub.prescriptions (prescription_key);
CREATE INDEX prescriptions_by_record ON healthhub.prescriptions (record_id, issued_at);
CREATE INDEX prescriptions_circulated ON healthhub.prescriptions (pharmacy_key) WHERE state = 'circulated';
COMMENT ON TABLE healthhub.prescriptions IS
    'Electronic prescriptions: content, state (issued ... settled, revoked, expired), prescriber, reviewer, where circulated';
SELECT pg_catalog.pg_extension_config_dump('healthhub.prescriptions', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.prescriptions
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('prescription', 'prescription_key', 'prescriptions');
ALTER TABLE healthhub.prescriptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY prescriptions_own ON healthhub.prescriptions FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

-- Every step of every prescription, in order: who did what, where, why.
CREATE TABLE healthhub.prescription_events (
    person_key       bigint NOT NULL,
    prescription_key bigint NOT NULL,
    event_no         integer NOT NULL,
    action           text NOT NULL CHECK (action IN ('issue', 'sign', 'approve', 'reject', 'circulate', 'dispense',
                                                     'settle', 'unsettle', 'revoke', 'expire')),
    "at"             timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    institution_key  bigint REFERENCES healthhub.institutions,
    practitioner_key bigint REFERENCES healthhub.practitioners,
    acting_role      name NOT NULL,
    reason           text CHECK (length(reason) <= 500),
    PRIMARY KEY (person_key, prescription_key, event_no),
    FOREIGN KEY (person_key, prescription_key) REFERENCES healthhub.prescriptions
);
COMMENT ON TABLE healthhub.prescription_events IS 'The steps of each prescription: action, time, institution, practitioner, role, reason';
SELECT pg_catalog.pg_extension_config_dump('healthhub.prescription_events', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.prescription_events
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('prescription_event', 'prescription_key', 'prescriptions');
ALTER TABLE healthhub.prescription_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY prescription_events_own ON healthhub.prescription_events FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

-- Dispenses: (prescription, dispense number) is unique, so no prescription
-- is ever dispensed more often than it allows, whatever races.
CREATE TABLE healthhub.dispenses (
    person_key       bigint NOT NULL,
    dispense_key     bigint NOT NULL DEFAULT healthhub.mint_key(),
    prescription_key bigint NOT NULL,
    dispense_no      integer NOT NULL CHECK (dispense_no >= 1),
    pharmacy_key     bigint NOT NULL REFERENCES healthhub.institutions,
    pharmacist_key   bigint NOT NULL REFERENCES healthhub.practitioners,
    dispensed_at     timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    settled_at       timestamptz,
    settlement_ref   text CHECK (length(settlement_ref) <= 100),
    PRIMARY KEY (person_key, dispense_key),
    UNIQUE (prescription_key, dispense_no),
    FOREIGN KEY (person_key, prescription_key) REFERENCES healthhub.prescriptions,
    CONSTRAINT dispenses_settlement CHECK ((settled_at IS NULL) = (settlement_ref IS NULL))
);
CREATE UNIQUE INDEX dispenses_by_key ON healthhub.dispenses (dispense_key);
COMMENT ON TABLE healthhub.dispenses IS 'Each dispense of a prescription: number, pharmacy, pharmacist, time, settlement';
SELECT pg_catalog.pg_extension_config_dump('healthhub.dispenses', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.dispenses
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('dispense', 'dispense_key', 'prescriptions');
ALTER TABLE healthhub.dispenses ENABLE ROW LEVEL SECURITY;
CREATE POLICY dispenses_own ON healthhub.dispenses FOR SELECT
    USING (healthhub.row_allowed('own', pharmacy_key));
