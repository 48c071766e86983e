-- mart.analyte_exceedance_totals: each analyte's totals of mart.analyte_exceedance over every product.
--
-- Grain: one row per sampling year × test kind × analyte; product_category, product_code and
-- product_name are the literal 'all'. Never sum these rows with the per-product ones.
create view mart.analyte_exceedance_totals as

with

detail as (

    select * from mart.analyte_exceedance

),

aggregated as (

    select
        year,
        test_kind,
        analyte_code,
        analyte_name,
        sum(tested)::bigint as tested,
        sum(detected)::bigint as detected,
        sum(exceeded)::bigint as exceeded,
        sum(banned_detected)::bigint as banned_detected,
        sum(unconfirmed_positives)::bigint as unconfirmed_positives,
        max(max_ratio_to_limit) as max_ratio_to_limit,
        max(max_value) as max_value

    from detail
    group by year, test_kind, analyte_code, analyte_name

),

final as (

    select
        -- keys
        year,
        test_kind,
        analyte_code,
        analyte_name,
        -- product
        'all'::text as product_category,
        'all'::text as product_code,
        'all'::text as product_name,
        -- measures
        tested,
        detected,
        exceeded,
        banned_detected,
        unconfirmed_positives,
        round(100.0 * detected / tested, 2) as detection_rate_pct,
        round(100.0 * (exceeded + banned_detected) / tested, 2) as exceedance_rate_pct,
        max_ratio_to_limit,
        max_value

    from aggregated

)

select * from final;

comment on view mart.analyte_exceedance_totals is
    'Each analyte''s totals over every product per sampling year and test kind (product columns = ''all''): tested, detected, exceeding the MRL, banned substances detected. Every row is a total: never sum it with mart.analyte_exceedance.';
comment on column mart.analyte_exceedance_totals.year is
    'Calendar year of the batch''s sampling date.';
comment on column mart.analyte_exceedance_totals.test_kind is
    'lab (laboratory test, values in mg/kg) | rapid (rapid test, values in % inhibition).';
comment on column mart.analyte_exceedance_totals.analyte_code is
    'Analyte reference code (pesticide, veterinary drug or contaminant).';
comment on column mart.analyte_exceedance_totals.analyte_name is
    'Analyte name: the most frequent reported name for the code.';
comment on column mart.analyte_exceedance_totals.product_category is
    'Category of the sampled product (''unknown'' when not classified), or ''all'' on the analyte''s total row. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with product_category <> ''all'' before summing.';
comment on column mart.analyte_exceedance_totals.product_code is
    'Product reference code (''unknown'' when the sampled name could not be coded), or ''all'' on the analyte''s total row. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with product_code <> ''all'' before summing.';
comment on column mart.analyte_exceedance_totals.product_name is
    'Product name (most frequent sampled name for a coded product), or ''all'' on the analyte''s total row. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with product_name <> ''all'' before summing.';
comment on column mart.analyte_exceedance_totals.tested is
    'Test items of this analyte.';
comment on column mart.analyte_exceedance_totals.detected is
    'Items with a detected value (not a non-detect such as ND / 未检出 / <LOD).';
comment on column mart.analyte_exceedance_totals.exceeded is
    'Items that failed because the value exceeded the maximum residue limit (verdict fail, limit_kind mrl).';
comment on column mart.analyte_exceedance_totals.banned_detected is
    'Items that failed because a substance banned for the product was detected at or above the LOD (verdict fail, limit_kind banned).';
comment on column mart.analyte_exceedance_totals.unconfirmed_positives is
    'Rapid-test positives (inhibition ≥ 50%) without a confirmatory lab result.';
comment on column mart.analyte_exceedance_totals.detection_rate_pct is
    'detected / tested × 100, 2 decimals.';
comment on column mart.analyte_exceedance_totals.exceedance_rate_pct is
    '(exceeded + banned_detected) / tested × 100, 2 decimals.';
comment on column mart.analyte_exceedance_totals.max_ratio_to_limit is
    'Highest value ÷ limit among the items (above 1 means over the limit), 3 decimals; null when no item had a limit.';
comment on column mart.analyte_exceedance_totals.max_value is
    'Highest detected value: mg/kg for lab tests, % inhibition for rapid tests; null when nothing was detected.';
