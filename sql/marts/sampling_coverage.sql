-- mart.sampling_coverage: is sampling keeping up with what is certified, per town and category?
--
-- Grain: one row per year × region_code × town × product_category; rows sum freely. The
-- county-wide rows per year and category, and per year, are in the view sampling_coverage_totals.
-- Certificates count by issue year and the producer's town; batches by sampling year, the
-- producer's town (market samples without a producer: 'unknown') and any task type.
--
-- Under-sampling rule: a row is under_sampled when it has at least 100 certificates (fewer is
-- too little to judge) and either no batch was sampled, or its batches per 1,000 certificates
-- are below half the reference rate: the county-wide rate of the same year and category for a
-- town row, of the same year over all categories for a category total.
-- A view over summary.certificates_daily (with the producer's current town read from core) and
-- summary.batches_daily.
create view mart.sampling_coverage as

with

certificate_facts as (

    select
        extract(year from c.issue_date)::int as year,
        p.region_code,
        coalesce(p.town, 'unknown') as town,
        c.product_category,
        c.certificates,
        0 as batches

    from summary.certificates_daily as c
    inner join core.producers as p using (producer_id)

),

batch_facts as (

    select
        extract(year from sampling_date)::int as year,
        region_code,
        town,
        product_category,
        0 as certificates,
        sampled as batches

    from summary.batches_daily

),

facts as (

    select * from certificate_facts
    union all
    select * from batch_facts

),

aggregated as (

    select
        year,
        region_code,
        town,
        product_category,
        sum(certificates)::bigint as certificates,
        sum(batches)::bigint as batches_sampled

    from facts
    group by year, region_code, town, product_category

),

rated as (

    select
        *,
        round(1000.0 * batches_sampled / nullif(certificates, 0), 2) as batches_per_1000_certificates,
        -- the county-wide rate of the same year and category
        round(1000.0 * sum(batches_sampled) over same_category
              / nullif(sum(certificates) over same_category, 0), 2) as reference_per_1000_certificates

    from aggregated
    window same_category as (partition by year, product_category)

),

final as (

    select
        -- keys
        year,
        region_code,
        town,
        product_category,
        -- measures
        certificates,
        batches_sampled,
        batches_per_1000_certificates,
        reference_per_1000_certificates,
        -- flag
        certificates >= 100 and (
            batches_sampled = 0
            or batches_per_1000_certificates < 0.5 * reference_per_1000_certificates
        ) as under_sampled

    from rated

)

select * from final;

comment on view mart.sampling_coverage is
    'Certificates issued vs batches sampled per year, town and product category; rows sum freely (county-wide totals: the view sampling_coverage_totals). under_sampled flags rows with at least 100 certificates and no batch, or fewer than half the county-wide batches per 1,000 certificates of the same year and category.';
comment on column mart.sampling_coverage.year is
    'Calendar year (issue year for certificates, sampling year for batches).';
comment on column mart.sampling_coverage.region_code is
    '6-digit county code (the producer''s; for batches the sampling place''s when given).';
comment on column mart.sampling_coverage.town is
    'Producer''s town (乡镇/街道); ''unknown'' for batches without a known producer.';
comment on column mart.sampling_coverage.product_category is
    'vegetables | fruits | tea | livestock | eggs | aquatic (''unknown'' when not classified).';
comment on column mart.sampling_coverage.certificates is
    'Certificates issued in the year.';
comment on column mart.sampling_coverage.batches_sampled is
    'Batches sampled in the year, any task type and verdict.';
comment on column mart.sampling_coverage.batches_per_1000_certificates is
    'batches_sampled per 1,000 certificates, 2 decimals; null when no certificate was issued.';
comment on column mart.sampling_coverage.reference_per_1000_certificates is
    'The rate this row is compared with: the county-wide batches per 1,000 certificates of the same year and category.';
comment on column mart.sampling_coverage.under_sampled is
    'True when certificates >= 100 and (batches_sampled = 0 or batches_per_1000_certificates < 0.5 × reference_per_1000_certificates).';
