-- mart.producer_risk: one risk grade per producer for credit (信用) and grid supervision.
--
-- Window: the 12 months ending on as_of_date, the latest sampling or issue date in the
-- warehouse (today's date when it is empty). Anchoring on the data rather than the clock keeps
-- a refresh reproducible and grades a back-loaded year as of its own end.
--
-- Risk grade rule, first match wins (all counts within the window):
--   D  a batch failed for a banned substance (禁限用, verdict fail with limit_kind banned)
--   C  any other failed batch, or a rapid-test positive not confirmed by a lab
--   B  no judged batch (never sampled, or results pending), or sampling coverage below
--      1 batch per 100 certificates issued
--   A  sampled, every judged batch passed, coverage at least 1 per 100 certificates
-- Personal data: contact_phone only masked, whole (ops.mask_phone: 138****5678); phone and ID numbers
-- in the free-text columns (a household named with its phone, a row whose values shifted) masked by
-- ops.mask_personal.
-- A view over summary.producer_batches_daily and summary.certificates_daily, with the producer's
-- current attributes read from core.
create view mart.producer_risk as

with

as_of as (

    select
        coalesce(
            greatest(
                (select max(sampling_date) from summary.batches_daily),
                (select max(issue_date) from summary.certificates_daily)
            ),
            current_date
        ) as as_of_date

),

certificates as (

    select
        c.producer_id,
        sum(c.certificates)::bigint as certificates

    from summary.certificates_daily as c
    cross join as_of
    where c.issue_date > as_of.as_of_date - interval '12 months'
        and c.issue_date <= as_of.as_of_date
    group by c.producer_id

),

batches as (

    select
        b.*,
        b.sampling_date > as_of.as_of_date - interval '12 months'
            and b.sampling_date <= as_of.as_of_date as in_window

    from summary.producer_batches_daily as b
    cross join as_of

),

batch_summary as (

    select
        producer_id,
        -- within the window
        coalesce(sum(sampled) filter (where in_window), 0)::bigint as batches_sampled,
        coalesce(sum(judged) filter (where in_window), 0)::bigint as batches_judged,
        coalesce(sum(failed) filter (where in_window), 0)::bigint as failures,
        coalesce(sum(banned_failed) filter (where in_window), 0)::bigint as banned_failures,
        coalesce(sum(unconfirmed) filter (where in_window), 0)::bigint as unconfirmed_positives,
        -- all time
        max(sampling_date) as last_sampled_date,
        max(sampling_date) filter (where failed > 0) as last_failure_date

    from batches
    group by producer_id

),

joined as (

    select
        p.producer_id,
        ops.mask_personal(p.producer_name) as producer_name,
        p.producer_type,
        p.region_code,
        ops.mask_personal(p.town) as town,
        ops.mask_personal(p.village) as village,
        ops.mask_personal(p.grid_id) as grid_id,
        ops.mask_phone(p.contact_phone) as contact_phone_masked,
        as_of.as_of_date,
        coalesce(c.certificates, 0) as certificates,
        coalesce(s.batches_sampled, 0) as batches_sampled,
        coalesce(s.batches_judged, 0) as batches_judged,
        coalesce(s.failures, 0) as failures,
        coalesce(s.banned_failures, 0) as banned_failures,
        coalesce(s.unconfirmed_positives, 0) as unconfirmed_positives,
        s.last_sampled_date,
        s.last_failure_date,
        round(100.0 * coalesce(s.batches_sampled, 0) / nullif(c.certificates, 0), 2) as sampling_coverage

    from core.producers as p
    cross join as_of
    left join certificates as c using (producer_id)
    left join batch_summary as s using (producer_id)

),

graded as (

    select
        *,
        case
            when banned_failures > 0 then 'D'
            when failures > 0 or unconfirmed_positives > 0 then 'C'
            when batches_judged = 0 or sampling_coverage < 1 then 'B'
            else 'A'
        end as risk_grade,
        case
            when banned_failures > 0 then 'banned substance detected (禁限用药物检出)'
            when failures > 0 then 'failed batch (抽检不合格)'
            when unconfirmed_positives > 0 then 'unconfirmed rapid-test positive (快检阳性未确证)'
            when batches_sampled = 0 then 'not sampled (未抽检)'
            when batches_judged = 0 then 'results pending (结果待出)'
            when sampling_coverage < 1 then 'coverage below 1 batch per 100 certificates (抽检覆盖不足)'
            else 'sampled and clean (抽检合格)'
        end as risk_reason

    from joined

),

final as (

    select
        -- keys
        producer_id,
        -- producer (phone masked: personal data)
        producer_name,
        producer_type,
        region_code,
        town,
        village,
        grid_id,
        contact_phone_masked,
        -- window
        as_of_date,
        -- measures (12 months to as_of_date)
        certificates,
        batches_sampled,
        batches_judged,
        failures,
        banned_failures,
        unconfirmed_positives,
        sampling_coverage,
        -- dates (all time)
        last_sampled_date,
        last_failure_date,
        -- grade
        risk_grade,
        risk_reason

    from graded

)

select * from final;

comment on view mart.producer_risk is
    'One risk grade (A–D) per registered producer for credit and grid supervision, from the 12 months ending on as_of_date. Rule, first match wins: D = a batch failed for a banned substance; C = any other failed batch or an unconfirmed rapid-test positive; B = no judged batch (never sampled or results pending) or sampling_coverage below 1 batch per 100 certificates; A = sampled and clean. Contact phones are masked.';
comment on column mart.producer_risk.producer_id is
    'Producer: unified social credit code or household registry code.';
comment on column mart.producer_risk.producer_name is
    'Producer name (主体名称). Phone and ID numbers in it are masked (ops.mask_personal).';
comment on column mart.producer_risk.producer_type is
    'enterprise | cooperative | family_farm | household.';
comment on column mart.producer_risk.region_code is
    'Producer''s 6-digit county code.';
comment on column mart.producer_risk.town is
    'Producer''s town (乡镇/街道). Phone and ID numbers in it are masked (ops.mask_personal).';
comment on column mart.producer_risk.village is
    'Producer''s village (村/社区). Phone and ID numbers in it are masked (ops.mask_personal).';
comment on column mart.producer_risk.grid_id is
    'Grid supervision cell (网格编号) responsible for the producer. Phone and ID numbers in it are masked (ops.mask_personal).';
comment on column mart.producer_risk.contact_phone_masked is
    'Contact phone masked by ops.mask_phone: 11 or more characters keep the first 3 and last 4 (e.g. 138****1234), 8 to 10 keep the last 4, shorter values are masked whole. The full number is personal data and is not in any mart.';
comment on column mart.producer_risk.as_of_date is
    'End of the 12-month window: the latest sampling or certificate issue date in the warehouse (today when empty).';
comment on column mart.producer_risk.certificates is
    'Certificates issued in the 12 months to as_of_date.';
comment on column mart.producer_risk.batches_sampled is
    'Batches of this producer sampled in the 12 months to as_of_date, any task type, judged or not.';
comment on column mart.producer_risk.batches_judged is
    'Of batches_sampled, those with a verdict of pass or fail.';
comment on column mart.producer_risk.failures is
    'Failed batches in the 12 months to as_of_date.';
comment on column mart.producer_risk.banned_failures is
    'Failed batches with a banned substance detected (limit_kind banned) in the 12 months to as_of_date.';
comment on column mart.producer_risk.unconfirmed_positives is
    'Batches with a rapid-test positive not confirmed by a lab in the 12 months to as_of_date.';
comment on column mart.producer_risk.sampling_coverage is
    'batches_sampled per 100 certificates issued in the 12 months to as_of_date, 2 decimals; null when no certificate was issued.';
comment on column mart.producer_risk.last_sampled_date is
    'Latest sampling date of any batch of this producer (all time).';
comment on column mart.producer_risk.last_failure_date is
    'Latest sampling date of a failed batch of this producer (all time).';
comment on column mart.producer_risk.risk_grade is
    'A–D, first match wins: D = banned-substance failure in the window; C = any other failure or an unconfirmed rapid-test positive; B = no judged batch, or sampling_coverage < 1 per 100 certificates; A = sampled and clean.';
comment on column mart.producer_risk.risk_reason is
    'Why the producer has its grade, in words (English and Chinese).';
