-- The master person index (docs/linkage.md): persons, the identifiers that
-- find them, the source records institutions send, and the links between
-- records and persons.

CREATE TABLE healthhub.persons (
    person_key      bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    hub_id          bigint NOT NULL DEFAULT healthhub.hub_id(),
    state           text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'redirected')),
    redirected_to   bigint REFERENCES healthhub.persons,
    -- the golden record: the best value of each field over the person's
    -- records (healthhub.survivorship_rules), rebuilt after every change
    resident_id     healthhub.resident_id,
    name            text,
    sex             smallint CHECK (sex IN (1, 2)),
    birth_date      date,
    phone           text,
    region          healthhub.region_code,
    deceased        boolean NOT NULL DEFAULT false,
    deceased_on     date,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT persons_redirect CHECK ((state = 'redirected') = (redirected_to IS NOT NULL)),
    CONSTRAINT persons_deceased_on CHECK (deceased OR deceased_on IS NULL)
);
COMMENT ON TABLE healthhub.persons IS
    'Persons of the master person index: key, golden record, deceased flag; a merged person redirects to the survivor';
SELECT pg_catalog.pg_extension_config_dump('healthhub.persons', '');
-- (a publication filters persons on hub_id: its replica identity has it)
CREATE UNIQUE INDEX persons_replica_identity ON healthhub.persons (person_key, hub_id);
-- (the persons merged into one: what was given for them counts for it)
CREATE INDEX persons_redirected ON healthhub.persons (redirected_to) WHERE redirected_to IS NOT NULL;
ALTER TABLE healthhub.persons REPLICA IDENTITY USING INDEX persons_replica_identity;

-- Every identifier finds at most one person; the resident ID number is the
-- main index (one person per number).  Rows point at active persons only:
-- a merge moves them to the survivor.  identifier_key names a row (its
-- primary key, so the table can be published: a DELETE from a published
-- table without a replica identity fails); it counts in the hub's block of
-- keys (healthhub.place_sequences_in_hub_block()).
CREATE SEQUENCE healthhub.person_identifier_seq;
SELECT pg_catalog.pg_extension_config_dump('healthhub.person_identifier_seq', '');
CREATE TABLE healthhub.person_identifiers (
    resident_id     healthhub.resident_id,
    identifier      healthhub.health_identifier,
    person_key      bigint NOT NULL REFERENCES healthhub.persons,
    linked_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    identifier_key  bigint NOT NULL DEFAULT pg_catalog.nextval('healthhub.person_identifier_seq'),
    CONSTRAINT person_identifiers_one_kind CHECK (pg_catalog.num_nonnulls(resident_id, identifier) = 1),
    CONSTRAINT person_identifiers_pkey PRIMARY KEY (identifier_key)
);
ALTER SEQUENCE healthhub.person_identifier_seq OWNED BY healthhub.person_identifiers.identifier_key;
CREATE UNIQUE INDEX person_identifiers_resident_id ON healthhub.person_identifiers (resident_id)
    INCLUDE (person_key) WHERE resident_id IS NOT NULL;
CREATE UNIQUE INDEX person_identifiers_identifier ON healthhub.person_identifiers (identifier)
    INCLUDE (person_key) WHERE identifier IS NOT NULL;
CREATE INDEX person_identifiers_person ON healthhub.person_identifiers (person_key);
COMMENT ON TABLE healthhub.person_identifiers IS
    'Identifiers of persons: each finds at most one person; the resident ID number is the main index';
SELECT pg_catalog.pg_extension_config_dump('healthhub.person_identifiers', '');

-- What institutions send, keyed by (source, local id): upserted, corrected,
-- withdrawn.  "source" is the institution's code as it sends it; it is the
-- registry's institution when one has that key or source_ref.
CREATE SEQUENCE healthhub.record_seq;
SELECT pg_catalog.pg_extension_config_dump('healthhub.record_seq', '');
CREATE TABLE healthhub.source_records (
    source          text NOT NULL CHECK (source OPERATOR(pg_catalog.<>) ''),
    local_id        text NOT NULL CHECK (local_id OPERATOR(pg_catalog.<>) ''),
    -- a compact handle on the record for the tables that index it by the
    -- million (record_block_keys): 8 bytes instead of two strings
    record_id       bigint NOT NULL DEFAULT pg_catalog.nextval('healthhub.record_seq') UNIQUE,
    institution_key bigint REFERENCES healthhub.institutions,
    -- as received (validated)
    name            text,
    sex             smallint CHECK (sex IN (1, 2)),
    birth_date      date,
    identifier_text text,
    phone           text,
    region          healthhub.region_code,
    other_identifiers healthhub.health_identifier[] NOT NULL DEFAULT '{}',
    -- derived by the linker
    resident_id     healthhub.resident_id,      -- identifier_text, 15 digits upgraded to 18
    id_conflict     boolean NOT NULL DEFAULT false,  -- its birth date or sex contradicts the record
    name_hanzi      text,
    name_pinyin     text,
    name_initials   text,
    surname         text,
    name_given_pinyin text,
    -- the current link: the person the record is (its match; the other
    -- decisions about it are in link_decisions), how and by whom it was made
    person_key      bigint REFERENCES healthhub.persons,
    link_origin     text NOT NULL DEFAULT 'auto' CHECK (link_origin IN ('auto', 'manual')),
    link_score      double precision,
    link_model      integer,
    linked_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- (roles as text, not name: 64 bytes a row is felt in a million-row load)
    linked_by       text NOT NULL DEFAULT healthhub.acting_role(),
    received_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    withdrawn_at    timestamptz,
    PRIMARY KEY (source, local_id),
    CONSTRAINT source_records_linked CHECK ((withdrawn_at IS NULL) = (person_key IS NOT NULL))
);
CREATE INDEX source_records_person ON healthhub.source_records (person_key);
CREATE INDEX source_records_institution ON healthhub.source_records (institution_key);
COMMENT ON TABLE healthhub.source_records IS
    'Records institutions send to the index, keyed by (source, local_id), with their match keys and current person';
SELECT pg_catalog.pg_extension_config_dump('healthhub.source_records', '');

-- Links between records and persons, with their history in link_events.
-- match: the record is this person (one per record: source_records.person_key
-- and its link_ columns, so no second copy of a million rows in a bulk
-- load); possible_match: it may be (the review queue); no_match: it is not
-- (a manual decision that automation never overrides); redirected: it was,
-- until the person was merged into another.  link_decisions holds all but
-- the matches; the view healthhub.links shows all four.
CREATE TABLE healthhub.link_decisions (
    source          text NOT NULL,
    local_id        text NOT NULL,
    person_key      bigint NOT NULL REFERENCES healthhub.persons,
    state           text NOT NULL CHECK (state IN ('possible_match', 'no_match', 'redirected')),
    origin          text NOT NULL CHECK (origin IN ('auto', 'manual')),
    score           double precision,
    model_version   integer,
    decided_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    decided_by      text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (source, local_id, person_key),
    FOREIGN KEY (source, local_id) REFERENCES healthhub.source_records
);
CREATE INDEX link_decisions_person ON healthhub.link_decisions (person_key);
CREATE INDEX link_decisions_review_queue ON healthhub.link_decisions (decided_at) WHERE state = 'possible_match';
COMMENT ON TABLE healthhub.link_decisions IS
    'Record-person decisions other than the match: possible_match (review queue), no_match (never), redirected (merged)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.link_decisions', '');

-- (security_invoker: whoever reads it sees the records row security lets
-- them see)
CREATE VIEW healthhub.links WITH (security_invoker = true) AS
SELECT s.source, s.local_id, s.person_key, 'match'::text AS state, s.link_origin AS origin, s.link_score AS score,
       s.link_model AS model_version, s.linked_at AS decided_at, s.linked_by AS decided_by
  FROM healthhub.source_records s
 WHERE s.person_key IS NOT NULL
UNION ALL
SELECT d.source, d.local_id, d.person_key, d.state, d.origin, d.score, d.model_version, d.decided_at, d.decided_by
  FROM healthhub.link_decisions d;
COMMENT ON VIEW healthhub.links IS
    'Record-person links: match (one per record), possible_match (review queue), no_match (never), redirected (merged)';

-- Two persons a reviewer has said are different people: never merged again.
CREATE TABLE healthhub.person_separations (
    person_a        bigint NOT NULL REFERENCES healthhub.persons,
    person_b        bigint NOT NULL REFERENCES healthhub.persons,
    reason          text NOT NULL,
    decided_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    decided_by      text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (person_a, person_b),
    CONSTRAINT person_separations_ordered CHECK (person_a < person_b)
);
COMMENT ON TABLE healthhub.person_separations IS 'Pairs of persons never to be merged again';
SELECT pg_catalog.pg_extension_config_dump('healthhub.person_separations', '');

-- Every decision, automatic or manual, with the model version and the
-- per-comparison weights that made it; entry_id is its audit trail entry.
CREATE TABLE healthhub.link_events (
    event_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id        bigint NOT NULL,
    at              timestamptz NOT NULL DEFAULT pg_catalog.now(),
    by_role         text NOT NULL DEFAULT healthhub.acting_role(),
    action          text NOT NULL,
    source          text,
    local_id        text,
    record_id       bigint,         -- source_records.record_id (healthhub.record_history())
    person_key      bigint,
    other_person    bigint,
    old_state       text,
    new_state       text,
    origin          text,
    score           double precision,
    model_version   integer,
    weights         jsonb,
    reason          text
);
-- (by record_id, not by (source, local_id): a bulk link adds a million
-- entries, and an index of two strings costs several times more to fill)
CREATE INDEX link_events_record ON healthhub.link_events (record_id);
CREATE INDEX link_events_person ON healthhub.link_events (person_key);
COMMENT ON TABLE healthhub.link_events IS
    'Link history: who, when, why, old and new state, weights and model version; each event is also an audit entry';
SELECT pg_catalog.pg_extension_config_dump('healthhub.link_events', '');
-- (its identity sequence too, or a restored hub would number events from 1 again)
SELECT pg_catalog.pg_extension_config_dump('healthhub.link_events_event_id_seq', '');
