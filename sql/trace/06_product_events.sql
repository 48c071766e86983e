-- trace.product_events: every traceability event for one product in a date range, one row each,
-- in the shape of the FDA FSMA 204 sortable spreadsheet (lot code, event, date, product, quantity,
-- location, reference document), ready for CSV/XLSX or EPCIS 2.0.
--
--   select * from trace.product_events('豇豆', '2024-01-01', '2024-12-31');
--
--   certificate_issued  a certificate (合格证) was issued for a lot          ref: the certificate
--   shipped             the lot went to the buyer named on the certificate    ref: the certificate
--   sampled             a sample was taken (抽样单)                           ref: the batch number
--   tested              a lab reported on the sample, per report number       ref: the report number
--
-- The lot code is the certificate number (the certificate is the lot's document and is unique);
-- a sample that came with no certificate is its own lot, coded by its batch number. product
-- matches product_name or product_code exactly. Audited (action 'export').
create function trace.product_events(
    product text,
    date_from date,
    date_to date,
    requested_by text default null,
    interface text default 'sql'
)
returns table (
    -- lot
    traceability_lot_code      text,
    tlc_kind                   text,
    lot_no                     text,
    trace_code                 text,
    -- event
    event_type                 text,
    event_sequence             integer,
    event_date                 date,
    -- product
    product_description        text,
    product_code               text,
    product_category           text,
    quantity                   numeric,
    unit_of_measure            text,
    quantity_kg                numeric,
    -- where and who
    location_description       text,
    location_region            text,
    producer_id                text,
    producer_name              text,
    destination                text,
    -- evidence
    reference_document_type    text,
    reference_document_number  text,
    disposition                text,
    detail                     text,
    -- sample
    batch_no                   text
)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    started  timestamptz := clock_timestamp();
    clean    text := btrim(product_events.product);
    emitted  integer;
begin
    if clean is null or clean = '' or length(clean) > 64 or clean ~ '[[:cntrl:]]' then
        raise exception 'product must be 1 to 64 characters without control characters'
            using errcode = '22023';
    end if;
    if date_from is null or date_to is null or date_from > date_to then
        raise exception 'give date_from <= date_to (got % and %)', date_from, date_to
            using errcode = '22023';
    end if;
    if product_events.interface is null or product_events.interface not in ('cli', 'api', 'sql') then
        raise exception 'interface must be cli, api or sql (% given)', product_events.interface
            using errcode = '22023';
    end if;

    return query
    with

    certificates as (
        select c.*, p.producer_name, p.region_code, concat_ws(' ', p.town, p.village) as producer_place
        from core.certificates as c
        join core.producers as p on p.producer_id = c.producer_id
        where (c.product_name = clean or c.product_code = clean)
          and c.issue_date between date_from and date_to
    ),

    batches as (
        select
            b.*,
            coalesce(b.producer_id, c.producer_id) as lot_producer_id,
            c.lot_no as cert_lot_no,
            c.trace_code as cert_trace_code
        from core.sampling_batches as b
        left join core.certificates as c on c.certificate_no = b.certificate_no
        where (b.product_name = clean or b.product_code = clean)
          and b.sampling_date between date_from and date_to
    ),

    reports as (
        -- one tested event per lab report of a batch; items without a report number share one
        select
            r.batch_no,
            r.report_no,
            max(r.tested_on) as tested_on,
            bool_or(r.verdict = 'fail') as any_fail,
            bool_or(r.verdict = 'positive_unconfirmed') as any_unconfirmed,
            count(*) as items,
            string_agg(
                case when r.verdict = 'fail'
                     then r.analyte_name || ' ' || coalesce(r.value_mg_kg::text, r.result_raw, '?')
                          || ' > ' || coalesce(r.limit_mg_kg::text, '?') || ' mg/kg (' || r.verdict_reason || ')'
                end,
                '; ' order by r.analyte_name
            ) as failures
        from core.inspection_results as r
        join batches as b on b.batch_no = r.batch_no
        group by r.batch_no, r.report_no
    ),

    issued as (
        select
            c.certificate_no, 'certificate', c.lot_no, c.trace_code,
            'certificate_issued', 1, c.issue_date,
            c.product_name, c.product_code, c.product_category, c.quantity, c.unit, c.quantity_kg,
            coalesce(c.origin, nullif(c.producer_place, '')), c.region_code, c.producer_id, c.producer_name,
            null::text,
            'certificate', c.certificate_no, null::text,
            'commitment: ' || array_to_string(c.commitment_basis, ', '),
            null::text
        from certificates as c
    ),

    shipped as (
        select
            c.certificate_no, 'certificate', c.lot_no, c.trace_code,
            'shipped', 2, c.issue_date,
            c.product_name, c.product_code, c.product_category, c.quantity, c.unit, c.quantity_kg,
            coalesce(c.origin, nullif(c.producer_place, '')), c.region_code, c.producer_id, c.producer_name,
            c.buyer,
            'certificate', c.certificate_no, null::text,
            null::text,
            null::text
        from certificates as c
        where c.buyer is not null
    ),

    sampled as (
        select
            coalesce(b.certificate_no, b.batch_no),
            case when b.certificate_no is null then 'sample' else 'certificate' end,
            b.cert_lot_no, b.cert_trace_code,
            'sampled', 3, b.sampling_date,
            b.product_name, b.product_code, b.product_category, b.sample_qty_kg, 'kg', b.sample_qty_kg,
            b.sampled_place, b.region_code, b.lot_producer_id, p.producer_name,
            null::text,
            'sampling_form', b.batch_no,
            case b.batch_verdict when 'pass' then 'conformant' when 'fail' then 'non_conformant'
                                 else b.batch_verdict end,
            b.task_type || ', ' || b.sampling_level || ', ' || b.sampling_stage
                || coalesce(', by ' || b.sampler_org, ''),
            b.batch_no
        from batches as b
        left join core.producers as p on p.producer_id = b.lot_producer_id
    ),

    tested as (
        select
            coalesce(b.certificate_no, b.batch_no),
            case when b.certificate_no is null then 'sample' else 'certificate' end,
            b.cert_lot_no, b.cert_trace_code,
            'tested', 4, coalesce(r.tested_on, b.sampling_date),
            b.product_name, b.product_code, b.product_category, b.sample_qty_kg, 'kg', b.sample_qty_kg,
            b.lab, b.region_code, b.lot_producer_id, p.producer_name,
            null::text,
            'test_report', coalesce(r.report_no, b.batch_no),
            case when r.any_fail then 'non_conformant'
                 when r.any_unconfirmed then 'positive_unconfirmed'
                 else 'conformant' end,
            r.items || ' test items' || coalesce('; failing: ' || r.failures, ''),
            b.batch_no
        from reports as r
        join batches as b on b.batch_no = r.batch_no
        left join core.producers as p on p.producer_id = b.lot_producer_id
    ),

    final as (
        select * from issued
        union all select * from shipped
        union all select * from sampled
        union all select * from tested
    )

    select * from final as f
    -- event_date, lot code, event order within the lot, reference document
    order by 7, 1, 6, 20;

    get diagnostics emitted = row_count;

    insert into ops.trace_audit (
        requested_by, db_user, db_role, interface, action, lookup_key, key_type,
        from_date, to_date, personal_shown, found, records_returned, duration_ms
    )
    values (
        product_events.requested_by,
        session_user,
        case when current_setting('role') = 'none' then session_user else current_setting('role') end,
        product_events.interface,
        'export',
        product_events.product,
        'product',
        date_from,
        date_to,
        false,
        emitted > 0,
        emitted,
        extract(epoch from clock_timestamp() - started) * 1000
    );
end
$$;
