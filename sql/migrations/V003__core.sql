-- The clean model: one row per business key, updated in place by corrected re-deliveries.
-- file_id says which file last wrote the row, so every value can be traced to its delivery.

create table core.producers (
    -- keys
    producer_id     text primary key,
    -- attributes
    producer_name   text not null,
    producer_type   text not null
        check (producer_type in ('enterprise', 'cooperative', 'family_farm', 'household')),
    region_code     text not null,
    town            text,
    village         text,
    grid_id         text,
    contact_phone   text,  -- personal data: masked outside the regulator role
    -- dates
    registered_on   date,
    -- lineage
    file_id         bigint not null references ops.files,
    loaded_at       timestamptz not null default now()
);

create table core.certificates (
    -- keys
    certificate_no    text primary key,
    producer_id       text not null references core.producers,
    -- product
    product_name      text not null,
    product_code      text,
    product_category  text,
    -- measures
    quantity          numeric not null check (quantity > 0),
    unit              text not null,
    quantity_kg       numeric,  -- null for units that are counts (头, 只, 箱 …)
    -- attributes
    origin            text,
    commitment_basis  text[] not null,
    lot_no            text,
    trace_code        text,
    buyer             text,
    -- dates
    issue_date        date not null,
    -- lineage
    file_id           bigint not null references ops.files,
    loaded_at         timestamptz not null default now()
);
create index certificates_producer_date_idx on core.certificates (producer_id, issue_date);
create index certificates_lot_idx on core.certificates (lot_no) where lot_no is not null;
create index certificates_trace_code_idx on core.certificates (trace_code) where trace_code is not null;
create index certificates_product_date_idx on core.certificates (product_code, issue_date);

create table core.sampling_batches (
    -- keys
    batch_no          text primary key,
    producer_id       text references core.producers,
    certificate_no    text,  -- the trace-back link; the certificate may arrive later
    -- classification
    task_type         text not null
        check (task_type in ('routine_monitoring', 'supervisory_sampling', 'special_campaign', 'rapid_test')),
    sampling_level    text not null check (sampling_level in ('district', 'city', 'province', 'national')),
    sampling_stage    text not null check (sampling_stage in (
        'production_base', 'wholesale_market', 'farmers_market', 'supermarket', 'purchaser', 'other')),
    region_code       text,  -- where the sample was taken; the producer's county when not given
    -- product
    product_name      text not null,
    product_code      text,
    product_category  text,
    -- attributes
    sample_qty_kg     numeric,
    sampled_place     text,
    sampler_org       text,
    lab               text,
    -- dates
    sampling_date     date not null,
    -- verdict over all test items: pass | fail | positive_unconfirmed; null until results arrive
    batch_verdict     text check (batch_verdict in ('pass', 'fail', 'positive_unconfirmed')),
    -- lineage
    file_id           bigint not null references ops.files,
    loaded_at         timestamptz not null default now()
);
create index sampling_batches_producer_idx on core.sampling_batches (producer_id, sampling_date);
create index sampling_batches_certificate_idx on core.sampling_batches (certificate_no);
create index sampling_batches_date_idx on core.sampling_batches (sampling_date);

create table core.inspection_results (
    -- keys: a rapid test and its confirmatory lab test of the same analyte are separate items
    batch_no            text not null references core.sampling_batches,
    analyte_code        text not null,
    test_kind           text not null check (test_kind in ('lab', 'rapid')),
    -- as reported
    analyte_name        text not null,
    result_raw          text,
    result_value        numeric,
    unit                text,
    is_nondetect        boolean not null,
    method              text,
    standard            text,
    report_no           text,
    tested_on           date,
    supplied_verdict    text,
    -- judged (all in mg/kg; rapid tests in % inhibition)
    value_mg_kg         numeric,
    lod_mg_kg           numeric,
    limit_mg_kg         numeric,
    limit_kind          text,      -- mrl | banned | rapid
    limit_standard      text,
    limit_source        text,
    limit_verified      boolean,
    ratio_to_limit      numeric,
    verdict             text not null check (verdict in ('pass', 'fail', 'positive_unconfirmed', 'negative')),
    verdict_reason      text not null,
    verdict_disagrees   boolean not null default false,
    -- lineage
    file_id             bigint not null references ops.files,
    loaded_at           timestamptz not null default now(),
    primary key (batch_no, analyte_code, test_kind)
);
create index inspection_results_report_idx on core.inspection_results (report_no);
create index inspection_results_failing_idx on core.inspection_results (analyte_code) where verdict = 'fail';
