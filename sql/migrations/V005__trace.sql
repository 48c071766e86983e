-- Trace lookups: the audit log every lookup writes, and the indexes the lookups need.
--
-- The lookup functions themselves are not migrations: they live in sql/trace/*.sql and are
-- (re)installed by agritrace.trace.install after the migrations, so a change to a function is an
-- edit to one readable file rather than a new migration that copies the whole function again.

-- ops.trace_audit: who looked up what, when, through which interface, and how much came back.
create table ops.trace_audit (
    audit_id          bigserial primary key,
    -- who
    requested_by      text,           -- the person as the application knows them ('cli', a login name …)
    db_user           text not null,  -- the database login (session_user)
    db_role           text not null,  -- the role in effect for the call (SET ROLE), else the login
    interface         text not null check (interface in ('cli', 'api', 'sql')),
    -- what
    action            text not null check (action in ('lookup', 'search', 'export')),
    lookup_key        text not null,  -- the key, name query or product exactly as received
    key_type          text,           -- the type the chain was built from; null when nothing matched
    matched_types     text[] not null default '{}',
    from_date         date,
    to_date           date,
    recall_days       integer,
    personal_shown    boolean not null default false,
    -- outcome
    found             boolean not null,
    records_returned  integer not null,
    duration_ms       numeric(10, 2),
    requested_at      timestamptz not null default now()
);
create index trace_audit_requested_at_idx on ops.trace_audit (requested_at);
create index trace_audit_key_idx on ops.trace_audit (lookup_key);
comment on table ops.trace_audit is
    'Every trace lookup, name search and event export, written by the trace functions themselves so no interface can skip it.';
comment on column ops.trace_audit.db_role is
    'Inside a SECURITY DEFINER function current_user is the owner, so the caller''s role is read from the role setting.';
comment on column ops.trace_audit.personal_shown is
    'Whether contact phone numbers were returned unmasked.';

-- Product-level lookups (event exports, product name search) go by product name as well as code.
create index certificates_product_name_date_idx on core.certificates (product_name, issue_date);
create index sampling_batches_product_name_date_idx on core.sampling_batches (product_name, sampling_date);
