-- mart.analyte_exceedance: how often each analyte is found and exceeds its limit, per product.
--
-- Grain: one row per sampling year × test kind × analyte × product; rows sum freely. The
-- analyte's totals over every product are in the view analyte_exceedance_totals. Items are counted, not batches; an item belongs to
-- the year its batch was sampled in, so the figures line up with the pass-rate marts.
-- A view over summary.items_daily. Names shown are the most frequent among the items (ties: the
-- first in sort order, as mode() picks).
create view mart.analyte_exceedance as

with

items as (

    select
        extract(year from sampling_date)::int as year,
        test_kind,
        analyte_code,
        analyte_name,
        product_category,
        coalesce(product_code, 'unknown') as product_key,
        case when product_code is null then product_name end as uncoded_name,
        product_code,
        product_name,
        tested,
        detected,
        exceeded,
        banned_detected,
        unconfirmed,
        max_ratio_to_limit,
        max_value

    from summary.items_daily

),

aggregated as (

    select
        year,
        test_kind,
        analyte_code,
        product_category,
        product_key as product_code,
        uncoded_name,
        sum(tested)::bigint as tested,
        sum(detected)::bigint as detected,
        sum(exceeded)::bigint as exceeded,
        sum(banned_detected)::bigint as banned_detected,
        sum(unconfirmed)::bigint as unconfirmed_positives,
        max(max_ratio_to_limit) as max_ratio_to_limit,
        max(max_value) as max_value

    from items
    group by year, test_kind, analyte_code, product_category, product_key, uncoded_name

),

analyte_names as (

    select distinct on (year, test_kind, analyte_code)
        year, test_kind, analyte_code, analyte_name

    from (
        select year, test_kind, analyte_code, analyte_name, sum(tested) as tested
        from items
        where analyte_name is not null
        group by year, test_kind, analyte_code, analyte_name
    ) as counted
    order by year, test_kind, analyte_code, tested desc, analyte_name

),

product_names as (

    select distinct on (year, test_kind, analyte_code, product_category, product_key)
        year, test_kind, analyte_code, product_category, product_key, product_name

    from (
        select year, test_kind, analyte_code, product_category, product_key, product_name, sum(tested) as tested
        from items
        where product_code is not null and product_name is not null
        group by year, test_kind, analyte_code, product_category, product_key, product_name
    ) as counted
    order by year, test_kind, analyte_code, product_category, product_key, tested desc, product_name

),

final as (

    select
        -- keys
        a.year,
        a.test_kind,
        a.analyte_code,
        an.analyte_name,
        -- product
        a.product_category,
        a.product_code,
        coalesce(a.uncoded_name, pn.product_name) as product_name,
        -- measures
        a.tested,
        a.detected,
        a.exceeded,
        a.banned_detected,
        a.unconfirmed_positives,
        round(100.0 * a.detected / a.tested, 2) as detection_rate_pct,
        round(100.0 * (a.exceeded + a.banned_detected) / a.tested, 2) as exceedance_rate_pct,
        round(a.max_ratio_to_limit, 3) as max_ratio_to_limit,
        a.max_value

    from aggregated as a
    left join analyte_names as an using (year, test_kind, analyte_code)
    left join product_names as pn
        on a.uncoded_name is null
        and pn.year = a.year
        and pn.test_kind = a.test_kind
        and pn.analyte_code = a.analyte_code
        and pn.product_category = a.product_category
        and pn.product_key = a.product_code

)

select * from final;

comment on view mart.analyte_exceedance is
    'Test items per analyte and product per sampling year: tested, detected, exceeding the MRL, banned substances detected. Each item is in one row: sum the counts freely. The analyte''s totals over every product are in the view analyte_exceedance_totals.';
comment on column mart.analyte_exceedance.year is
    'Calendar year of the batch''s sampling date.';
comment on column mart.analyte_exceedance.test_kind is
    'lab (laboratory test, values in mg/kg) | rapid (rapid test, values in % inhibition).';
comment on column mart.analyte_exceedance.analyte_code is
    'Analyte reference code (pesticide, veterinary drug or contaminant).';
comment on column mart.analyte_exceedance.analyte_name is
    'Analyte name: the most frequent reported name for the code.';
comment on column mart.analyte_exceedance.product_category is
    'Category of the sampled product (''unknown'' when not classified).';
comment on column mart.analyte_exceedance.product_code is
    'Product reference code (''unknown'' when the sampled name could not be coded).';
comment on column mart.analyte_exceedance.product_name is
    'Product name (most frequent sampled name for a coded product).';
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
