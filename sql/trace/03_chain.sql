-- trace.chain: the trace-back / trace-forward chain for one key of a known type, as jsonb.
--
-- Internal: called by trace.lookup (which validates the key, picks the key type and writes the
-- audit row). It runs with its caller's rights, so a role that may not read core gets nothing
-- from calling it directly.
--
--   anchors      the records the key names (a certificate, a batch, a producer, a report's
--                batches, the certificates carrying a lot number or trace code)
--   window       p_from … p_to; when not given, 30 days either side of the anchors' dates, or for
--                a producer key the 365 days up to the producer's latest certificate or sample
--   chain        the producers; their certificates in the window plus the anchors; the sampling
--                batches linked through those certificates or taken from those producers in the
--                window; every test item of those batches, failing items marked
--   forward      buyers named on the chain's certificates
--   recall       for every failing batch: the same producer's certificates issued within
--                ± p_recall_days of the sampling date (and the certificate the sample came with),
--                and other producers' failures of the same product and analyte in the window; its
--                totals (kg, counted units per unit, certificates, buyers) and each buyer with a
--                contact: core.certificates holds none for buyers, so the producer's phone (masked
--                unless p_include_personal) as the person who knows the buyer
-- Lists of certificates and batches stop at 500 rows each (anchors first); the totals say how
-- many there were.
create function trace.chain(
    p_key text,
    p_key_type text,
    p_from date,
    p_to date,
    p_recall_days integer,
    p_include_personal boolean
)
returns jsonb
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    with

    -- anchors ---------------------------------------------------------------------------------
    -- Each branch runs only for its own key type (a one-time filter), so each is one index probe.
    anchor_batches as (
        select b.batch_no
        from core.sampling_batches as b
        where p_key_type = 'batch_no' and b.batch_no = p_key
        union
        select r.batch_no
        from core.inspection_results as r
        where p_key_type = 'report_no' and r.report_no = p_key
    ),

    anchor_certificates as (
        select c.certificate_no
        from core.certificates as c
        where p_key_type = 'certificate_no' and c.certificate_no = p_key
        union
        select c.certificate_no
        from core.certificates as c
        where p_key_type = 'trace_code' and c.trace_code = p_key
        union
        select c.certificate_no
        from core.certificates as c
        where p_key_type = 'lot_no' and c.lot_no = p_key
        union
        -- a batch names the certificate its sampled lot travelled with (the trace-back link)
        select b.certificate_no
        from core.sampling_batches as b
        join anchor_batches as a on a.batch_no = b.batch_no
        join core.certificates as c on c.certificate_no = b.certificate_no
    ),

    anchor_producers as (
        select p.producer_id
        from core.producers as p
        where p_key_type = 'producer_id' and p.producer_id = p_key
        union
        select c.producer_id
        from core.certificates as c
        join anchor_certificates as a on a.certificate_no = c.certificate_no
        union
        select b.producer_id
        from core.sampling_batches as b
        join anchor_batches as a on a.batch_no = b.batch_no
        where b.producer_id is not null
    ),

    -- window ----------------------------------------------------------------------------------
    anchor_dates as (
        select c.issue_date as day
        from core.certificates as c
        join anchor_certificates as a on a.certificate_no = c.certificate_no
        union all
        select b.sampling_date
        from core.sampling_batches as b
        join anchor_batches as a on a.batch_no = b.batch_no
    ),

    producer_latest as (
        select greatest(
            (select max(c.issue_date) from core.certificates as c where c.producer_id = p_key),
            (select max(b.sampling_date) from core.sampling_batches as b where b.producer_id = p_key)
        ) as day
        where p_key_type = 'producer_id'
    ),

    time_window as (
        select
            coalesce(
                p_from,
                (select min(day) from anchor_dates) - 30,
                coalesce((select day from producer_latest), current_date) - 365
            ) as from_date,
            coalesce(
                p_to,
                (select max(day) from anchor_dates) + 30,
                coalesce((select day from producer_latest), current_date)
            ) as to_date
    ),

    -- chain -----------------------------------------------------------------------------------
    chain_certificate_nos as (
        select a.certificate_no, true as is_anchor
        from anchor_certificates as a
        union
        select c.certificate_no, false
        from core.certificates as c
        join anchor_producers as ap on ap.producer_id = c.producer_id
        cross join time_window as w
        where c.issue_date between w.from_date and w.to_date
          and c.certificate_no not in (select certificate_no from anchor_certificates)
    ),

    chain_certificates as (
        select
            -- keys
            c.certificate_no,
            c.producer_id,
            -- product
            c.product_name,
            c.product_code,
            c.product_category,
            -- measures
            c.quantity,
            c.unit,
            c.quantity_kg,
            -- attributes
            c.origin,
            c.commitment_basis,
            c.lot_no,
            c.trace_code,
            c.buyer,
            -- dates
            c.issue_date,
            -- trace
            n.is_anchor,
            exists (
                select 1 from core.sampling_batches as b
                where b.certificate_no = c.certificate_no and b.batch_verdict = 'fail'
            ) as has_failing_sample
        from core.certificates as c
        join chain_certificate_nos as n on n.certificate_no = c.certificate_no
    ),

    chain_batch_nos as (
        select a.batch_no, true as is_anchor
        from anchor_batches as a
        union
        select b.batch_no, false
        from core.sampling_batches as b
        join chain_certificate_nos as n on n.certificate_no = b.certificate_no
        where b.batch_no not in (select batch_no from anchor_batches)
        union
        select b.batch_no, false
        from core.sampling_batches as b
        join anchor_producers as ap on ap.producer_id = b.producer_id
        cross join time_window as w
        where b.sampling_date between w.from_date and w.to_date
          and b.batch_no not in (select batch_no from anchor_batches)
    ),

    chain_items as (
        select
            r.batch_no,
            jsonb_agg(
                jsonb_build_object(
                    -- what was tested
                    'analyte_code', r.analyte_code,
                    'analyte_name', r.analyte_name,
                    'test_kind', r.test_kind,
                    -- as reported
                    'result', r.result_raw,
                    'value', r.result_value,
                    'unit', r.unit,
                    'is_nondetect', r.is_nondetect,
                    -- judged against
                    'value_mg_kg', r.value_mg_kg,
                    'lod_mg_kg', r.lod_mg_kg,
                    'limit', r.limit_mg_kg,
                    'limit_unit', case when r.test_kind = 'rapid' then '%' else 'mg/kg' end,
                    'limit_kind', r.limit_kind,
                    'limit_standard', r.limit_standard,
                    'ratio_to_limit', r.ratio_to_limit,
                    'verdict', r.verdict,
                    'verdict_reason', r.verdict_reason,
                    'verdict_disagrees', r.verdict_disagrees,
                    'verdict_basis', r.verdict_basis,
                    'failing', r.verdict = 'fail',
                    -- evidence
                    'standard', r.standard,
                    'method', r.method,
                    'report_no', r.report_no,
                    'tested_on', r.tested_on
                )
                order by (r.verdict = 'fail') desc, r.analyte_name, r.test_kind
            ) as items,
            count(*) as item_count,
            count(*) filter (where r.verdict = 'fail') as failing_count
        from core.inspection_results as r
        join chain_batch_nos as n on n.batch_no = r.batch_no
        group by r.batch_no
    ),

    chain_batches as (
        select
            -- keys
            b.batch_no,
            coalesce(b.producer_id, c.producer_id) as producer_id,
            b.certificate_no,
            -- classification
            b.task_type,
            b.sampling_level,
            b.sampling_stage,
            b.region_code,
            -- product
            b.product_name,
            b.product_code,
            b.product_category,
            -- attributes
            b.sample_qty_kg,
            b.sampled_place,
            b.sampler_org,
            b.lab,
            -- dates and verdict
            b.sampling_date,
            b.batch_verdict,
            (coalesce(b.batch_verdict = 'fail', false) or coalesce(i.failing_count, 0) > 0) as failing,
            n.is_anchor,
            -- test items
            coalesce(i.items, '[]'::jsonb) as items,
            coalesce(i.item_count, 0) as item_count,
            coalesce(i.failing_count, 0) as failing_count
        from core.sampling_batches as b
        join chain_batch_nos as n on n.batch_no = b.batch_no
        left join core.certificates as c on c.certificate_no = b.certificate_no
        left join chain_items as i on i.batch_no = b.batch_no
    ),

    chain_producers as (
        select
            p.producer_id,
            p.producer_name,
            p.producer_type,
            p.region_code,
            p.town,
            p.village,
            p.grid_id,
            case when p_include_personal then p.contact_phone else trace.mask_phone(p.contact_phone) end
                as contact_phone,
            p.registered_on
        from core.producers as p
        where p.producer_id in (
            select producer_id from anchor_producers
            union
            select producer_id from chain_batches where producer_id is not null
        )
    ),

    -- forward ---------------------------------------------------------------------------------
    buyers as (
        select
            c.buyer,
            count(*) as certificates,
            sum(c.quantity_kg) as quantity_kg,
            min(c.issue_date) as first_issue_date,
            max(c.issue_date) as last_issue_date,
            jsonb_agg(c.certificate_no order by c.issue_date, c.certificate_no) as certificate_nos
        from chain_certificates as c
        where c.buyer is not null
        group by c.buyer
    ),

    -- recall ----------------------------------------------------------------------------------
    failing_batches as (
        select b.batch_no, b.producer_id, b.certificate_no, b.product_name, b.product_code, b.sampling_date
        from chain_batches as b
        where b.failing
    ),

    failing_items as (
        select r.batch_no, r.analyte_code
        from core.inspection_results as r
        join failing_batches as fb on fb.batch_no = r.batch_no
        where r.verdict = 'fail'
    ),

    recall_candidates as (
        -- the lot the failing sample came with, whatever its date
        select fb.certificate_no, fb.batch_no, 'sampled_lot' as reason, fb.sampling_date, fb.product_name
        from failing_batches as fb
        where fb.certificate_no is not null
        union all
        -- the same producer's lots issued around the failing sample: the likeliest to share its cause
        select c.certificate_no, fb.batch_no, 'issued_within_recall_days', fb.sampling_date, fb.product_name
        from failing_batches as fb
        join core.certificates as c
          on c.producer_id = fb.producer_id
         and c.issue_date between fb.sampling_date - p_recall_days and fb.sampling_date + p_recall_days
    ),

    recall_certificates as (
        select distinct on (c.certificate_no)
            c.certificate_no,
            c.producer_id,
            c.product_name,
            c.quantity,
            c.unit,
            c.quantity_kg,
            c.lot_no,
            c.trace_code,
            c.buyer,
            c.issue_date,
            rc.batch_no as failing_batch_no,
            rc.reason,
            c.product_name = rc.product_name as same_product,
            c.issue_date - rc.sampling_date as days_from_sample,
            -- core.certificates holds no contact for the buyer: the producer who shipped the lot
            -- knows the buyer, so the producer's phone (masked unless personal data may be shown)
            -- is the contact to ask
            case when c.buyer is null then null
                 when p_include_personal then p.contact_phone
                 else trace.mask_phone(p.contact_phone) end as buyer_contact,
            case when c.buyer is not null then 'producer' end as buyer_contact_via
        from recall_candidates as rc
        join core.certificates as c on c.certificate_no = rc.certificate_no
        left join core.producers as p on p.producer_id = c.producer_id
        order by c.certificate_no, (rc.reason = 'sampled_lot') desc, (c.product_name = rc.product_name) desc,
                 abs(c.issue_date - rc.sampling_date)
    ),

    recall_buyers as (
        -- each buyer to notify, with whom to ask for its contact (the producer who shipped to it)
        select
            rc.buyer,
            count(*) as certificates,
            sum(rc.quantity_kg) as quantity_kg,
            coalesce(
                (select jsonb_object_agg(u.unit, u.quantity order by u.unit)
                 from (select x.unit, sum(x.quantity) as quantity
                       from recall_certificates as x
                       where x.buyer = rc.buyer and x.quantity_kg is null
                       group by x.unit) as u),
                '{}'::jsonb
            ) as counted_units,
            min(rc.producer_id) as producer_id,
            (select p.producer_name from core.producers as p where p.producer_id = min(rc.producer_id))
                as producer_name,
            min(rc.buyer_contact) as contact,
            'producer' as contact_via,
            jsonb_agg(rc.certificate_no order by rc.issue_date, rc.certificate_no) as certificate_nos
        from recall_certificates as rc
        where rc.buyer is not null
        group by rc.buyer
    ),

    recall_totals as (
        -- weights add up in kg; counted units (头, 只, 箱, 羽, 尾 …) cannot, so each is summed apart
        select
            (select count(*) from recall_certificates) as certificates,
            (select count(distinct buyer) from recall_certificates) as buyers,
            (select sum(quantity_kg) from recall_certificates) as quantity_kg,
            coalesce(
                (select jsonb_object_agg(u.unit, u.quantity order by u.unit)
                 from (select unit, sum(quantity) as quantity
                       from recall_certificates
                       where quantity_kg is null
                       group by unit) as u),
                '{}'::jsonb
            ) as counted_units
    ),

    other_producer_failures as (
        -- the same analyte failing in the same product elsewhere: a pattern, not one farm's mistake
        select distinct on (r.batch_no, r.analyte_code, r.test_kind)
            r.batch_no,
            b.producer_id,
            p.producer_name,
            b.product_name,
            r.analyte_code,
            r.analyte_name,
            r.value_mg_kg,
            r.limit_mg_kg,
            r.verdict_reason,
            r.report_no,
            b.sampling_date,
            fi.batch_no as like_batch_no
        from failing_items as fi
        join failing_batches as fb on fb.batch_no = fi.batch_no
        join core.inspection_results as r on r.analyte_code = fi.analyte_code and r.verdict = 'fail'
        join core.sampling_batches as b on b.batch_no = r.batch_no
        left join core.producers as p on p.producer_id = b.producer_id
        cross join time_window as w
        where b.sampling_date between w.from_date and w.to_date
          and (b.product_name = fb.product_name or b.product_code = fb.product_code)
          and b.producer_id is distinct from fb.producer_id
        order by r.batch_no, r.analyte_code, r.test_kind, fi.batch_no
    ),

    -- corrections -----------------------------------------------------------------------------
    -- Earlier versions of the chain's rows (core.*_history): what each held, which file delivered
    -- it, and which file's version was current when it was set aside.
    corrections as (
        select 'producer' as record, h.producer_id as record_key, h.file_id, h.superseded_by_file,
               h.superseded_at, trace.changed_values(to_jsonb(h), to_jsonb(c), p_include_personal) as changed
        from core.producers_history as h
        join core.producers as c on c.producer_id = h.producer_id
        where h.producer_id in (select producer_id from chain_producers)
        union all
        select 'certificate', h.certificate_no, h.file_id, h.superseded_by_file, h.superseded_at,
               trace.changed_values(to_jsonb(h), to_jsonb(c), p_include_personal)
        from core.certificates_history as h
        join core.certificates as c on c.certificate_no = h.certificate_no
        where h.certificate_no in (select certificate_no from chain_certificates)
        union all
        select 'batch', h.batch_no, h.file_id, h.superseded_by_file, h.superseded_at,
               trace.changed_values(to_jsonb(h), to_jsonb(c), p_include_personal)
        from core.sampling_batches_history as h
        join core.sampling_batches as c on c.batch_no = h.batch_no
        where h.batch_no in (select batch_no from chain_batches)
        union all
        select 'test_item', h.batch_no || ' · ' || h.analyte_name, h.file_id, h.superseded_by_file,
               h.superseded_at, trace.changed_values(to_jsonb(h), to_jsonb(c), p_include_personal)
        from core.inspection_results_history as h
        join core.inspection_results as c
          on c.batch_no = h.batch_no and c.analyte_code = h.analyte_code and c.test_kind = h.test_kind
        where h.batch_no in (select batch_no from chain_batches)
    ),

    -- final -----------------------------------------------------------------------------------
    final as (
        select jsonb_build_object(
            'window', (
                select jsonb_build_object('from', w.from_date, 'to', w.to_date, 'recall_days', p_recall_days)
                from time_window as w
            ),
            'personal_shown', p_include_personal,
            'producers', coalesce(
                (select jsonb_agg(to_jsonb(p) order by p.producer_id) from chain_producers as p),
                '[]'::jsonb
            ),
            'certificates', coalesce(
                (select jsonb_agg(to_jsonb(c) order by c.is_anchor desc, c.issue_date desc, c.certificate_no)
                 from (
                     select * from chain_certificates
                     order by is_anchor desc, issue_date desc, certificate_no
                     limit 500
                 ) as c),
                '[]'::jsonb
            ),
            'certificates_total', (select count(*) from chain_certificates),
            'batches', coalesce(
                (select jsonb_agg(to_jsonb(b) order by b.is_anchor desc, b.failing desc, b.sampling_date desc, b.batch_no)
                 from (
                     select * from chain_batches
                     order by is_anchor desc, failing desc, sampling_date desc, batch_no
                     limit 500
                 ) as b),
                '[]'::jsonb
            ),
            'batches_total', (select count(*) from chain_batches),
            'buyers', coalesce(
                (select jsonb_agg(to_jsonb(x) order by x.certificates desc, x.buyer) from buyers as x),
                '[]'::jsonb
            ),
            'recall', jsonb_build_object(
                'failing_batch_nos', coalesce(
                    (select jsonb_agg(fb.batch_no order by fb.sampling_date, fb.batch_no) from failing_batches as fb),
                    '[]'::jsonb
                ),
                'certificates', coalesce(
                    (select jsonb_agg(to_jsonb(rc) order by rc.issue_date, rc.certificate_no) from recall_certificates as rc),
                    '[]'::jsonb
                ),
                'buyers', coalesce(
                    (select jsonb_agg(distinct rc.buyer) from recall_certificates as rc where rc.buyer is not null),
                    '[]'::jsonb
                ),
                'other_producer_failures', coalesce(
                    (select jsonb_agg(to_jsonb(f) order by f.sampling_date, f.batch_no) from other_producer_failures as f),
                    '[]'::jsonb
                ),
                'totals', (select to_jsonb(t) from recall_totals as t),
                'buyer_contacts', coalesce(
                    (select jsonb_agg(to_jsonb(b) order by b.certificates desc, b.buyer) from recall_buyers as b),
                    '[]'::jsonb
                )
            ),
            'corrections', coalesce(
                (select jsonb_agg(jsonb_build_object(
                     'record', x.record, 'key', x.record_key, 'changed', x.changed,
                     'delivered_by_file', x.file_id,
                     'delivered_file_name', case when p_include_personal then fd.file_name
                                                 else ops.mask_personal(fd.file_name) end,
                     'superseded_by_file', x.superseded_by_file,
                     'superseded_file_name', case when p_include_personal then fs.file_name
                                                  else ops.mask_personal(fs.file_name) end,
                     'superseded_at', x.superseded_at)
                     order by x.record, x.record_key, x.file_id)
                 from corrections as x
                 join ops.files as fd on fd.file_id = x.file_id
                 join ops.files as fs on fs.file_id = x.superseded_by_file),
                '[]'::jsonb
            ),
            'summary', jsonb_build_object(
                'producers', (select count(*) from chain_producers),
                'certificates', (select count(*) from chain_certificates),
                'batches', (select count(*) from chain_batches),
                'test_items', (select coalesce(sum(item_count), 0) from chain_batches),
                'failing_items', (select coalesce(sum(failing_count), 0) from chain_batches),
                'failing_batches', (select count(*) from failing_batches),
                'recall_certificates', (select count(*) from recall_certificates),
                'other_producer_failures', (select count(*) from other_producer_failures)
            )
        ) as chain
    )

    select chain from final
$$;
