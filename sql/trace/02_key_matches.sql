-- trace.key_matches: where a key occurs, one row per key type that matches, best first.
--
-- Priority (lowest number wins when a key matches more than one place):
--   1 certificate_no  合格证编号   primary key of core.certificates
--   2 batch_no        抽样单编号   primary key of core.sampling_batches
--   3 producer_id     主体编码     primary key of core.producers
--   4 report_no       报告编号     one lab report, usually one batch
--   5 trace_code      追溯码       meant to be unique per lot, not enforced
--   6 lot_no          批次号       chosen by the producer, may repeat across producers
-- Unique identifiers come first because a match there names exactly one record.
-- Every branch is an index lookup; the key is only ever compared, never interpolated.
create function trace.key_matches(lookup_key text)
returns table (key_type text, priority integer, records bigint)
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    with candidates as (
        select 'certificate_no' as key_type, 1 as priority, count(*) as records
        from core.certificates where certificate_no = lookup_key
        union all
        select 'batch_no', 2, count(*)
        from core.sampling_batches where batch_no = lookup_key
        union all
        select 'producer_id', 3, count(*)
        from core.producers where producer_id = lookup_key
        union all
        select 'report_no', 4, count(distinct batch_no)
        from core.inspection_results where report_no = lookup_key
        union all
        select 'trace_code', 5, count(*)
        from core.certificates where trace_code = lookup_key
        union all
        select 'lot_no', 6, count(*)
        from core.certificates where lot_no = lookup_key
    )

    select key_type, priority, records
    from candidates
    where records > 0
    order by priority
$$;
