-- mart.sampling_coverage: is sampling keeping up with what is certified, per town and category?
--
-- Grain: one row per year × region_code × town × product_category, plus roll-ups with the
-- literal 'all': per year and category (region_code and town 'all') and per year (all three
-- 'all'). Certificates count by issue year and the producer's town; batches by sampling year,
-- the producer's town (market samples without a producer: 'unknown') and any task type.
--
-- Under-sampling rule: a row is under_sampled when it has at least 100 certificates (fewer is
-- too little to judge) and either no batch was sampled, or its batches per 1,000 certificates
-- are below half the reference rate: the county-wide rate of the same year and category for a
-- town row, of the same year over all categories for a category roll-up row.
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
        case when grouping(region_code) = 1 then 'all' else region_code end as region_code,
        case when grouping(town) = 1 then 'all' else town end as town,
        case when grouping(product_category) = 1 then 'all' else product_category end as product_category,
        sum(certificates)::bigint as certificates,
        sum(batches)::bigint as batches_sampled

    from facts
    group by grouping sets (
        (year, region_code, town, product_category),
        (year, product_category),
        (year)
    )

),

rated as (

    select
        *,
        round(1000.0 * batches_sampled / nullif(certificates, 0), 2) as batches_per_1000_certificates

    from aggregated

),

with_reference as (

    select
        town_rows.*,
        case
            when town_rows.town <> 'all' then category_rows.batches_per_1000_certificates
            else year_rows.batches_per_1000_certificates
        end as reference_per_1000_certificates

    from rated as town_rows
    left join rated as category_rows
        on category_rows.year = town_rows.year
        and category_rows.town = 'all'
        and category_rows.product_category = town_rows.product_category
    left join rated as year_rows
        on year_rows.year = town_rows.year
        and year_rows.town = 'all'
        and year_rows.product_category = 'all'

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

    from with_reference

)

select * from final;

comment on view mart.sampling_coverage is
    'Certificates issued vs batches sampled per year, town and product category, with roll-ups: region_code = town = ''all'' is the county-wide row of a category, and product_category = ''all'' as well is the year''s total. under_sampled flags rows with at least 100 certificates and no batch, or fewer than half the reference batches per 1,000 certificates.';
comment on column mart.sampling_coverage.year is
    'Calendar year (issue year for certificates, sampling year for batches).';
comment on column mart.sampling_coverage.region_code is
    '6-digit county code (the producer''s; for batches the sampling place''s when given), or ''all'' on roll-up rows. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with region_code <> ''all'' before summing.';
comment on column mart.sampling_coverage.town is
    'Producer''s town (乡镇/街道); ''unknown'' for batches without a known producer; ''all'' on roll-up rows. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with town <> ''all'' before summing.';
comment on column mart.sampling_coverage.product_category is
    'vegetables | fruits | tea | livestock | eggs | aquatic (''unknown'' when not classified), or ''all'' on the year''s total row. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with product_category <> ''all'' before summing.';
comment on column mart.sampling_coverage.certificates is
    'Certificates issued in the year.';
comment on column mart.sampling_coverage.batches_sampled is
    'Batches sampled in the year, any task type and verdict.';
comment on column mart.sampling_coverage.batches_per_1000_certificates is
    'batches_sampled per 1,000 certificates, 2 decimals; null when no certificate was issued.';
comment on column mart.sampling_coverage.reference_per_1000_certificates is
    'The rate this row is compared with: the county-wide rate of the same year and category for a town row; of the same year over all categories for a category roll-up row.';
comment on column mart.sampling_coverage.under_sampled is
    'True when certificates >= 100 and (batches_sampled = 0 or batches_per_1000_certificates < 0.5 × reference_per_1000_certificates).';
