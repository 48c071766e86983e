-- mart.sampling_coverage_totals: county-wide rows of mart.sampling_coverage.
--
-- Grain: one row per year × product_category (region_code and town the literal 'all'), and one
-- per year (product_category 'all' as well). A category row is compared with the year's rate over
-- all categories; the year row with itself. Never sum these rows with the town rows.
create view mart.sampling_coverage_totals as

with

detail as (

    select * from mart.sampling_coverage

),

aggregated as (

    select
        year,
        'all'::text as region_code,
        'all'::text as town,
        case when grouping(product_category) = 1 then 'all' else product_category end as product_category,
        sum(certificates)::bigint as certificates,
        sum(batches_sampled)::bigint as batches_sampled

    from detail
    group by grouping sets ((year, product_category), (year))

),

rated as (

    select
        *,
        round(1000.0 * batches_sampled / nullif(certificates, 0), 2) as batches_per_1000_certificates

    from aggregated

),

with_reference as (

    select
        rated.*,
        year_rows.batches_per_1000_certificates as reference_per_1000_certificates

    from rated
    left join rated as year_rows
        on year_rows.year = rated.year
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

comment on view mart.sampling_coverage_totals is
    'County-wide totals of mart.sampling_coverage: per year and category (region_code = town = ''all''), and per year (product_category = ''all'' as well), certificates issued vs batches sampled. A category row is under_sampled when it has at least 100 certificates and no batch, or fewer than half the year''s batches per 1,000 certificates over all categories. Every row is a total: never sum it with the town rows.';
comment on column mart.sampling_coverage_totals.year is
    'Calendar year (issue year for certificates, sampling year for batches).';
comment on column mart.sampling_coverage_totals.region_code is
    '6-digit county code (the producer''s; for batches the sampling place''s when given), or ''all'' on roll-up rows. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with region_code <> ''all'' before summing.';
comment on column mart.sampling_coverage_totals.town is
    'Producer''s town (乡镇/街道); ''unknown'' for batches without a known producer; ''all'' on roll-up rows. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with town <> ''all'' before summing.';
comment on column mart.sampling_coverage_totals.product_category is
    'vegetables | fruits | tea | livestock | eggs | aquatic (''unknown'' when not classified), or ''all'' on the year''s total row. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with product_category <> ''all'' before summing.';
comment on column mart.sampling_coverage_totals.certificates is
    'Certificates issued in the year.';
comment on column mart.sampling_coverage_totals.batches_sampled is
    'Batches sampled in the year, any task type and verdict.';
comment on column mart.sampling_coverage_totals.batches_per_1000_certificates is
    'batches_sampled per 1,000 certificates, 2 decimals; null when no certificate was issued.';
comment on column mart.sampling_coverage_totals.reference_per_1000_certificates is
    'The rate this row is compared with: the year''s batches per 1,000 certificates over all categories.';
comment on column mart.sampling_coverage_totals.under_sampled is
    'True when certificates >= 100 and (batches_sampled = 0 or batches_per_1000_certificates < 0.5 × reference_per_1000_certificates).';
