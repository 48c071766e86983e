-- Every version of every business row is kept. The core tables hold the current version of each
-- key (what marts and trace read); when a delivery replaces it, the version it replaces moves to
-- the table's history, with the file that replaced it. Versions are ordered by delivery: a file's
-- place is its ledger id (ops.files.file_id, taken when the file is claimed), never the file's time.
-- A version that arrives late (an orphan retried, a held file released) behind a newer one goes
-- straight to history: older information never becomes current over newer.

create table core.producers_history (like core.producers);
create table core.certificates_history (like core.certificates);
create table core.sampling_batches_history (like core.sampling_batches);
create table core.inspection_results_history (like core.inspection_results);

alter table core.producers_history
    add column history_id bigserial primary key,
    add column superseded_by_file bigint not null references ops.files,
    add column superseded_at timestamptz not null default now();
alter table core.certificates_history
    add column history_id bigserial primary key,
    add column superseded_by_file bigint not null references ops.files,
    add column superseded_at timestamptz not null default now();
alter table core.sampling_batches_history
    add column history_id bigserial primary key,
    add column superseded_by_file bigint not null references ops.files,
    add column superseded_at timestamptz not null default now();
alter table core.inspection_results_history
    add column history_id bigserial primary key,
    add column superseded_by_file bigint not null references ops.files,
    add column superseded_at timestamptz not null default now();

create index producers_history_key_idx on core.producers_history (producer_id);
create index certificates_history_key_idx on core.certificates_history (certificate_no);
create index sampling_batches_history_key_idx on core.sampling_batches_history (batch_no);
create index inspection_results_history_key_idx on core.inspection_results_history (batch_no, analyte_code, test_kind);

comment on table core.producers_history is
    'Earlier versions of core.producers rows: file_id delivered the version, superseded_by_file was current when it was set aside.';
comment on table core.certificates_history is
    'Earlier versions of core.certificates rows: file_id delivered the version, superseded_by_file was current when it was set aside.';
comment on table core.sampling_batches_history is
    'Earlier versions of core.sampling_batches rows: file_id delivered the version, superseded_by_file was current when it was set aside.';
comment on table core.inspection_results_history is
    'Earlier versions of core.inspection_results rows: file_id delivered the version, superseded_by_file was current when it was set aside.';


-- A claim left `processing` by an attempt that died is started over by the next run; the ledger says so.
alter table ops.file_deliveries drop constraint file_deliveries_outcome_check;
alter table ops.file_deliveries add constraint file_deliveries_outcome_check
    check (outcome in ('processed', 'skipped_duplicate', 'released', 'recovered'));

-- Business keys are compared in one canonical form (NFKC, look-alike dashes and spaces unified,
-- codes upper-cased); where a delivered key was written otherwise, its raw form is kept here and
-- the file's ledger message says so: a variant is a finding for operators, never a silent merge.
create table ops.key_variants (
    file_id       bigint not null references ops.files,
    row_number    integer not null,
    column_name   text not null,
    raw_value     text not null,
    canonical     text not null,
    seen_at       timestamptz not null default now(),
    primary key (file_id, row_number, column_name)
);
create index key_variants_canonical_idx on ops.key_variants (canonical);
comment on table ops.key_variants is
    'Keys delivered in another form than their canonical one (e.g. corr0003 read as CORR0003): the raw form, where it came from, and what it was read as.';
