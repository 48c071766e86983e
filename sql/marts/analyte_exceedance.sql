-- mart.analyte_exceedance: how often each analyte is found and exceeds its limit, per product.
--
-- Grain: one row per sampling year × test kind × analyte × product, plus one row per
-- year × test kind × analyte with product_category, product_code and product_name all 'all'
-- (the analyte's total over every product). Items are counted, not batches; an item belongs to
-- the year its batch was sampled in, so the figures line up with the pass-rate marts.
create materialized view mart.analyte_exceedance as

with

source_results as (

    select * from core.inspection_results

),

source_batches as (

    select * from core.sampling_batches

),

items as (

    select
        -- keys
        r.analyte_code,
        r.analyte_name,
        r.test_kind,
        -- product
        coalesce(b.product_category, 'unknown') as product_category,
        coalesce(b.product_code, 'unknown') as product_code,
        case when b.product_code is null then b.product_name end as uncoded_name,
        b.product_name,
        -- dates
        extract(year from b.sampling_date)::int as year,
        -- judgement
        r.is_nondetect,
        r.value_mg_kg,
        r.ratio_to_limit,
        r.verdict,
        r.limit_kind

    from source_results as r
    inner join source_batches as b using (batch_no)

),

aggregated as (

    select
        year,
        test_kind,
        analyte_code,
        mode() within group (order by analyte_name) as analyte_name,
        case when grouping(product_category) = 1 then 'all' else product_category end as product_category,
        case when grouping(product_code) = 1 then 'all' else product_code end as product_code,
        case
            when grouping(product_code) = 1 then 'all'
            else coalesce(uncoded_name, mode() within group (order by product_name))
        end as product_name,
        count(*) as tested,
        count(*) filter (where not is_nondetect) as detected,
        count(*) filter (where verdict = 'fail' and limit_kind = 'mrl') as exceeded,
        count(*) filter (where verdict = 'fail' and limit_kind = 'banned') as banned_detected,
        count(*) filter (where verdict = 'positive_unconfirmed') as unconfirmed_positives,
        max(ratio_to_limit) as max_ratio_to_limit,
        max(value_mg_kg) filter (where not is_nondetect) as max_value

    from items
    group by year, test_kind, analyte_code,
        grouping sets ((product_category, product_code, uncoded_name), ())

),

final as (

    select
        -- keys
        year,
        test_kind,
        analyte_code,
        analyte_name,
        -- product
        product_category,
        product_code,
        product_name,
        -- measures
        tested,
        detected,
        exceeded,
        banned_detected,
        unconfirmed_positives,
        round(100.0 * detected / tested, 2) as detection_rate_pct,
        round(100.0 * (exceeded + banned_detected) / tested, 2) as exceedance_rate_pct,
        round(max_ratio_to_limit, 3) as max_ratio_to_limit,
        max_value

    from aggregated

)

select * from final;

create unique index analyte_exceedance_key on mart.analyte_exceedance
    (year, test_kind, analyte_code, product_category, product_code, product_name);

comment on materialized view mart.analyte_exceedance is
    'Test items per analyte and product per sampling year: tested, detected, exceeding the MRL, banned substances detected. Rows with product_code = ''all'' are the analyte''s total over every product; never sum them with the per-product rows.';
comment on column mart.analyte_exceedance.year is
    'Calendar year of the batch''s sampling date.';
comment on column mart.analyte_exceedance.test_kind is
    'lab (laboratory test, values in mg/kg) | rapid (rapid test, values in % inhibition).';
comment on column mart.analyte_exceedance.analyte_code is
    'Analyte reference code (pesticide, veterinary drug or contaminant).';
comment on column mart.analyte_exceedance.analyte_name is
    'Analyte name: the most frequent reported name for the code.';
comment on column mart.analyte_exceedance.product_category is
    'Category of the sampled product (''unknown'' when not classified), or ''all'' on the analyte''s total row. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with product_category <> ''all'' before summing.';
comment on column mart.analyte_exceedance.product_code is
    'Product reference code (''unknown'' when the sampled name could not be coded), or ''all'' on the analyte''s total row. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with product_code <> ''all'' before summing.';
comment on column mart.analyte_exceedance.product_name is
    'Product name (most frequent sampled name for a coded product), or ''all'' on the analyte''s total row. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with product_name <> ''all'' before summing.';
comment on column mart.analyte_exceedance.tested is
    'Test items of this analyte.';
comment on column mart.analyte_exceedance.detected is
    'Items with a detected value (not a non-detect such as ND / 未检出 / <LOD).';
comment on column mart.analyte_exceedance.exceeded is
    'Items that failed because the value exceeded the maximum residue limit (verdict fail, limit_kind mrl).';
comment on column mart.analyte_exceedance.banned_detected is
    'Items that failed because a substance banned for the product was detected at or above the LOD (verdict fail, limit_kind banned).';
comment on column mart.analyte_exceedance.unconfirmed_positives is
    'Rapid-test positives (inhibition ≥ 50%) without a confirmatory lab result.';
comment on column mart.analyte_exceedance.detection_rate_pct is
    'detected / tested × 100, 2 decimals.';
comment on column mart.analyte_exceedance.exceedance_rate_pct is
    '(exceeded + banned_detected) / tested × 100, 2 decimals.';
comment on column mart.analyte_exceedance.max_ratio_to_limit is
    'Highest value ÷ limit among the items (above 1 means over the limit), 3 decimals; null when no item had a limit.';
comment on column mart.analyte_exceedance.max_value is
    'Highest detected value: mg/kg for lab tests, % inhibition for rapid tests; null when nothing was detected.';
