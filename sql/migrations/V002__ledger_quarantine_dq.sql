-- What happened to every file, every rejected row and every validation run.

-- ops.files: one row per distinct file content per feed (the per-file ledger).
create table ops.files (
    file_id           bigserial primary key,
    -- keys
    feed              text not null,
    sha256            text not null,
    -- what arrived
    file_name         text not null,
    size_bytes        bigint not null,
    source_profile    text,
    encoding          text,
    -- counts: rows_in = rows_loaded + rows_quarantined once the file is done
    rows_in           integer,
    rows_loaded       integer,
    rows_quarantined  integer,
    -- outcome
    status            text not null default 'processing'
        check (status in ('processing', 'loaded', 'held', 'rejected')),
    message           text,
    dag_run_id        text,
    -- timings
    received_at       timestamptz not null default now(),
    started_at        timestamptz not null default now(),
    finished_at       timestamptz,
    unique (feed, sha256),
    check (status <> 'loaded' or rows_in = rows_loaded + rows_quarantined)
);
comment on table ops.files is
    'The ingestion ledger: one row per distinct file content per feed. The same content delivered twice is processed once.';

-- ops.file_deliveries: every time a file was seen, including repeats that were skipped.
create table ops.file_deliveries (
    delivery_id   bigserial primary key,
    file_id       bigint not null references ops.files,
    file_name     text not null,
    outcome       text not null check (outcome in ('processed', 'skipped_duplicate', 'released')),
    dag_run_id    text,
    seen_at       timestamptz not null default now()
);

-- quarantine.rows: every row that did not load, with every reason, until it does.
create table quarantine.rows (
    quarantine_id  bigserial primary key,
    feed           text not null,
    file_id        bigint not null references ops.files,
    row_number     integer not null,
    -- the row as it arrived (after header mapping), text values untouched
    raw            jsonb not null,
    -- [{rule, column, value, message}]
    reasons        jsonb not null,
    -- orphan rows wait for their parent and are retried automatically
    is_orphan      boolean not null default false,
    status         text not null default 'open' check (status in ('open', 'loaded', 'superseded')),
    created_at     timestamptz not null default now(),
    resolved_at    timestamptz,
    resolved_by    text,
    unique (file_id, row_number)
);
create index rows_open_idx on quarantine.rows (feed, is_orphan) where status = 'open';

-- dq.validation_runs / dq.expectation_results: Great Expectations results per file.
create table dq.validation_runs (
    validation_id   bigserial primary key,
    file_id         bigint not null references ops.files,
    feed            text not null,
    suite           text not null,
    success         boolean not null,
    evaluated_rows  integer not null,
    failing_rows    integer not null,
    gx_version      text,
    validated_at    timestamptz not null default now()
);

create table dq.expectation_results (
    validation_id     bigint not null references dq.validation_runs on delete cascade,
    expectation       text not null,
    column_name       text not null default '',
    success           boolean not null,
    unexpected_count  integer not null default 0,
    unexpected_pct    numeric(6, 2),
    -- rows agritrace itself found failing this rule; must equal unexpected_count
    quarantined_rows  integer not null default 0,
    primary key (validation_id, expectation, column_name)
);

-- dq.findings: facts worth a look that do not reject a row (e.g. a supplied verdict that disagrees).
create table dq.findings (
    finding_id   bigserial primary key,
    file_id      bigint references ops.files,
    feed         text not null,
    row_number   integer,
    record_key   text,
    kind         text not null,
    detail       text not null,
    found_at     timestamptz not null default now()
);
