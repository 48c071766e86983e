-- Incremental marts: additive daily summaries kept up to date for the days a write touched.
--
-- Every write to core (a load, a correction, a replay, a release, the batch verdicts set after
-- results arrive, or a hand-written statement) logs the days it touched in ops.mart_touched_days,
-- by statement-level triggers that see the old and the new rows: a correction that moves a row to
-- another day logs both days. refresh_marts (agritrace.marts.refresh) consumes the log in one
-- transaction: it deletes the summaries' rows of those days and recomputes them from core
-- (sql/marts/summary/<table>.sql), so a refresh costs what the new days cost, not the history.
-- The marts in schema mart are views over these summaries (sql/marts/<mart>.sql).
--
-- The summaries keep a producer's id where a mart shows the producer's current attributes
-- (certificate issuance, producer risk, certificate coverage), so a changed producer needs no
-- recomputation there; where a batch is grouped by its producer's region or town, a change to
-- those attributes logs the days of that producer's batches.

create schema summary;
comment on schema summary is
    'Daily summaries the marts read (one row per day and dimensions, additive counts, sums and maxima). Maintained by refresh_marts from the days logged in ops.mart_touched_days; not for analysts: read schema mart.';

-- ops.mart_touched_days: an append-only log (no key, so concurrent loads never wait on each other).
create table ops.mart_touched_days (
    day        date not null,
    logged_at  timestamptz not null default now()
);
comment on table ops.mart_touched_days is
    'Days whose summaries (schema summary) are stale: logged by triggers on core, consumed by refresh_marts.';

-- Summaries ------------------------------------------------------------------------------------

create table summary.batches_daily (
    sampling_date        date not null,
    task_type            text,
    sampling_level       text,
    region_code          text not null,  -- the batch's, else its producer's county, else 'unknown'
    town                 text not null,  -- the producer's town as registered (masked in the marts), else 'unknown'
    product_category     text not null,
    sampled              bigint not null,
    passed               bigint not null,
    failed               bigint not null,
    unconfirmed          bigint not null,
    pending              bigint not null
);
create index batches_daily_date_idx on summary.batches_daily (sampling_date);
comment on table summary.batches_daily is
    'Batches per sampling day × task type × level × region × town × category, counted by verdict.';

create table summary.batch_products_daily (
    sampling_date        date not null,
    task_type            text,
    product_category     text not null,
    product_code         text,           -- null: the sampled name could not be coded
    product_name         text,           -- as sampled: counted per name for the marts' most frequent name
    sampled              bigint not null,
    passed               bigint not null,
    failed               bigint not null,
    unconfirmed          bigint not null
);
create index batch_products_daily_date_idx on summary.batch_products_daily (sampling_date);
comment on table summary.batch_products_daily is
    'Batches per sampling day × task type × product × name as sampled, counted by verdict.';

create table summary.items_daily (
    sampling_date        date not null,  -- the batch's
    test_kind            text not null,
    analyte_code         text not null,
    analyte_name         text,
    product_category     text not null,
    product_code         text,
    product_name         text,
    tested               bigint not null,
    detected             bigint not null,
    exceeded             bigint not null,
    banned_detected      bigint not null,
    unconfirmed          bigint not null,
    max_ratio_to_limit   numeric,
    max_value            numeric
);
create index items_daily_date_idx on summary.items_daily (sampling_date);
comment on table summary.items_daily is
    'Test items per sampling day of their batch × analyte (and name as reported) × product (and name as sampled).';

create table summary.certificates_daily (
    issue_date                       date not null,
    producer_id                      text not null,
    product_category                 text not null,
    certificates                     bigint not null,
    quantity_kg                      numeric not null,
    certificates_counted_units       bigint not null,
    certificates_quality_control     bigint not null,
    certificates_self_test           bigint not null,
    certificates_commissioned_test   bigint not null
);
create index certificates_daily_date_idx on summary.certificates_daily (issue_date);
comment on table summary.certificates_daily is
    'Certificates per issue day × producer × category, with quantities and commitment bases.';

create table summary.producer_batches_daily (
    sampling_date        date not null,
    producer_id          text not null,
    sampled              bigint not null,
    judged               bigint not null,
    failed               bigint not null,
    banned_failed        bigint not null,
    unconfirmed          bigint not null
);
create index producer_batches_daily_date_idx on summary.producer_batches_daily (sampling_date);
comment on table summary.producer_batches_daily is
    'Batches per sampling day × producer: sampled, judged, failed, failed for a banned substance, unconfirmed.';

-- The refresh finds one day's certificates without reading the rest.
create index certificates_issue_date_idx on core.certificates (issue_date);

-- Triggers: log the touched days --------------------------------------------------------------
-- Statement-level, with the statement's old and new rows as transition tables: one insert per
-- statement, however many rows it wrote. plpgsql plans each branch when it first runs, so a branch
-- naming a transition table the event does not have is never planned.

create function ops.log_batch_days() returns trigger language plpgsql as $$
begin
    if tg_op in ('INSERT', 'UPDATE') then
        insert into ops.mart_touched_days (day) select distinct sampling_date from new_rows;
    end if;
    if tg_op in ('UPDATE', 'DELETE') then
        insert into ops.mart_touched_days (day) select distinct sampling_date from old_rows;
    end if;
    return null;
end $$;

create function ops.log_certificate_days() returns trigger language plpgsql as $$
begin
    if tg_op in ('INSERT', 'UPDATE') then
        insert into ops.mart_touched_days (day) select distinct issue_date from new_rows;
    end if;
    if tg_op in ('UPDATE', 'DELETE') then
        insert into ops.mart_touched_days (day) select distinct issue_date from old_rows;
    end if;
    return null;
end $$;

-- An item belongs to its batch's day; a result never moves to another batch (batch_no is its key).
create function ops.log_result_days() returns trigger language plpgsql as $$
begin
    if tg_op in ('INSERT', 'UPDATE') then
        insert into ops.mart_touched_days (day)
        select distinct b.sampling_date from core.sampling_batches b
         where b.batch_no in (select batch_no from new_rows);
    end if;
    if tg_op in ('UPDATE', 'DELETE') then
        insert into ops.mart_touched_days (day)
        select distinct b.sampling_date from core.sampling_batches b
         where b.batch_no in (select batch_no from old_rows);
    end if;
    return null;
end $$;

-- Only the attributes summary.batches_daily groups by; the rest are read live by the marts.
create function ops.log_producer_days() returns trigger language plpgsql as $$
begin
    insert into ops.mart_touched_days (day)
    select distinct b.sampling_date
      from old_rows o
      join new_rows n using (producer_id)
      join core.sampling_batches b on b.producer_id = n.producer_id
     where (o.region_code, o.town) is distinct from (n.region_code, n.town);
    return null;
end $$;

create trigger log_days_insert after insert on core.sampling_batches
    referencing new table as new_rows for each statement execute function ops.log_batch_days();
create trigger log_days_update after update on core.sampling_batches
    referencing old table as old_rows new table as new_rows for each statement execute function ops.log_batch_days();
create trigger log_days_delete after delete on core.sampling_batches
    referencing old table as old_rows for each statement execute function ops.log_batch_days();

create trigger log_days_insert after insert on core.certificates
    referencing new table as new_rows for each statement execute function ops.log_certificate_days();
create trigger log_days_update after update on core.certificates
    referencing old table as old_rows new table as new_rows for each statement execute function ops.log_certificate_days();
create trigger log_days_delete after delete on core.certificates
    referencing old table as old_rows for each statement execute function ops.log_certificate_days();

create trigger log_days_insert after insert on core.inspection_results
    referencing new table as new_rows for each statement execute function ops.log_result_days();
create trigger log_days_update after update on core.inspection_results
    referencing old table as old_rows new table as new_rows for each statement execute function ops.log_result_days();
create trigger log_days_delete after delete on core.inspection_results
    referencing old table as old_rows for each statement execute function ops.log_result_days();

-- A new producer has no batches yet (they reference it); a deleted one cannot have any.
create trigger log_days_update after update on core.producers
    referencing old table as old_rows new table as new_rows for each statement execute function ops.log_producer_days();

-- A warehouse migrated with data: every day is stale once, and the first refresh builds the summaries.
insert into ops.mart_touched_days (day)
select sampling_date from core.sampling_batches
union
select issue_date from core.certificates;

-- The marts become views (re-created by create_marts from their files): drop the materialized ones.
drop materialized view if exists mart.pass_rate_by_period, mart.pass_rate_by_product, mart.pass_rate_by_town,
    mart.analyte_exceedance, mart.certificate_issuance, mart.producer_risk, mart.sampling_coverage cascade;
delete from ops.mart_builds;
