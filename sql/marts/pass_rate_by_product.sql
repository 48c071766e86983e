-- mart.pass_rate_by_product: batch pass rates per product, per month and per year.
--
-- Grain: one row per period × task_type × product; rows sum freely. The totals over every task
-- type are in the view pass_rate_by_product_totals.
-- A product is its reference code; batches whose product could not be coded are grouped by the
-- name as sampled, with product_code 'unknown', so they stay visible instead of vanishing.
-- A view over summary.batch_products_daily. The name of a coded product is its most frequent name
-- in the period over every task type (ties: the first in sort order, as mode() picks), so a
-- product has one name in a period, here and in the totals.
create view mart.pass_rate_by_product as

with

daily as (

    select
        *,
        coalesce(product_code, 'unknown') as product_key,
        case when product_code is null then product_name end as uncoded_name

    from summary.batch_products_daily

),

periods as (

    select
        period.period_type,
        date_trunc(period.period_type, daily.sampling_date)::date as period_start,
        daily.*

    from daily
    cross join (values ('month'), ('year')) as period (period_type)

),

aggregated as (

    select
        period_type,
        period_start,
        task_type,
        product_category,
        product_key as product_code,
        uncoded_name,
        sum(passed + failed)::bigint as batches,
        sum(passed)::bigint as passed_batches,
        sum(failed)::bigint as failed_batches,
        sum(unconfirmed)::bigint as unconfirmed_batches

    from periods
    group by period_type, period_start, task_type, product_category, product_key, uncoded_name

),

names as (

    select
        period_type,
        period_start,
        product_category,
        product_key as product_code,
        product_name,
        sum(sampled) as sampled

    from periods
    where product_code is not null and product_name is not null
    group by period_type, period_start, product_category, product_key, product_name

),

most_frequent_names as (

    select distinct on (period_type, period_start, product_category, product_code)
        period_type, period_start, product_category, product_code, product_name

    from names
    order by period_type, period_start, product_category, product_code, sampled desc, product_name

),

final as (

    select
        -- period
        a.period_type,
        a.period_start,
        -- dimensions
        a.task_type,
        a.product_category,
        a.product_code,
        coalesce(a.uncoded_name, n.product_name) as product_name,
        -- measures
        a.batches,
        a.passed_batches,
        a.failed_batches,
        a.unconfirmed_batches,
        round(100.0 * a.passed_batches / nullif(a.batches, 0), 2) as pass_rate_pct,
        mart.wilson_low_pct(a.passed_batches, a.batches) as wilson_low_pct,
        mart.wilson_high_pct(a.passed_batches, a.batches) as wilson_high_pct

    from aggregated as a
    left join most_frequent_names as n
        on a.uncoded_name is null
        and n.period_type = a.period_type
        and n.period_start = a.period_start
        and n.product_category = a.product_category
        and n.product_code = a.product_code

)

select * from final;

comment on view mart.pass_rate_by_product is
    'Batch pass rates per product per month and per year, by task type. Sum the counts freely; the totals over every task type are in the view pass_rate_by_product_totals. Pass rate = passed / judged batches.';
comment on column mart.pass_rate_by_product.period_type is
    'month | year: the length of the period starting at period_start.';
comment on column mart.pass_rate_by_product.period_start is
    'First day of the calendar month or year of the sampling date.';
comment on column mart.pass_rate_by_product.task_type is
    'routine_monitoring | supervisory_sampling | special_campaign | rapid_test.';
comment on column mart.pass_rate_by_product.product_category is
    'vegetables | fruits | tea | livestock | eggs | aquatic; ''unknown'' when not classified.';
comment on column mart.pass_rate_by_product.product_code is
    'Product reference code of the sampled product; ''unknown'' when the sampled name could not be coded.';
comment on column mart.pass_rate_by_product.product_name is
    'Product name: the most frequent sampled name of a coded product in the period (over every task type), the name as sampled otherwise.';
comment on column mart.pass_rate_by_product.batches is
    'Judged batches (batch_verdict pass or fail): the denominator of the pass rate.';
comment on column mart.pass_rate_by_product.passed_batches is
    'Batches whose every test item passed.';
comment on column mart.pass_rate_by_product.failed_batches is
    'Batches with at least one failed test item.';
comment on column mart.pass_rate_by_product.unconfirmed_batches is
    'Batches with an unconfirmed rapid-test positive: not judged, not in batches.';
comment on column mart.pass_rate_by_product.pass_rate_pct is
    'passed_batches / batches × 100, 2 decimals; null when no batch was judged.';
comment on column mart.pass_rate_by_product.wilson_low_pct is
    'Lower bound of the 95% Wilson score interval of the pass rate, percent, 2 decimals.';
comment on column mart.pass_rate_by_product.wilson_high_pct is
    'Upper bound of the 95% Wilson score interval of the pass rate, percent, 2 decimals.';
