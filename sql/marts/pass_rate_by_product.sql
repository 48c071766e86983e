-- mart.pass_rate_by_product: batch pass rates per product, per month and per year.
--
-- Grain: one row per period × task_type × product. task_type has the roll-up value 'all'.
-- A product is its reference code; batches whose product could not be coded are grouped by the
-- name as sampled, with product_code 'unknown', so they stay visible instead of vanishing.
create materialized view mart.pass_rate_by_product as

with

source_batches as (

    select * from core.sampling_batches

),

batches as (

    select
        -- dimensions
        task_type,
        coalesce(product_category, 'unknown') as product_category,
        coalesce(product_code, 'unknown') as product_code,
        case when product_code is null then product_name end as uncoded_name,
        product_name,
        -- dates
        sampling_date,
        -- verdict
        batch_verdict

    from source_batches

),

periods as (

    select
        period.period_type,
        date_trunc(period.period_type, batches.sampling_date)::date as period_start,
        batches.*

    from batches
    cross join (values ('month'), ('year')) as period (period_type)

),

aggregated as (

    select
        period_type,
        period_start,
        case when grouping(task_type) = 1 then 'all' else task_type end as task_type,
        product_category,
        product_code,
        coalesce(uncoded_name, mode() within group (order by product_name)) as product_name,
        count(*) filter (where batch_verdict in ('pass', 'fail')) as batches,
        count(*) filter (where batch_verdict = 'pass') as passed_batches,
        count(*) filter (where batch_verdict = 'fail') as failed_batches,
        count(*) filter (where batch_verdict = 'positive_unconfirmed') as unconfirmed_batches

    from periods
    group by period_type, period_start, product_category, product_code, uncoded_name,
        grouping sets ((task_type), ())

),

final as (

    select
        -- period
        period_type,
        period_start,
        -- dimensions
        task_type,
        product_category,
        product_code,
        product_name,
        -- measures
        batches,
        passed_batches,
        failed_batches,
        unconfirmed_batches,
        round(100.0 * passed_batches / nullif(batches, 0), 2) as pass_rate_pct,
        mart.wilson_low_pct(passed_batches, batches) as wilson_low_pct,
        mart.wilson_high_pct(passed_batches, batches) as wilson_high_pct

    from aggregated

)

select * from final;

create unique index pass_rate_by_product_key on mart.pass_rate_by_product
    (period_type, period_start, task_type, product_category, product_code, product_name);

comment on materialized view mart.pass_rate_by_product is
    'Batch pass rates per product per month and per year. task_type = ''all'' is the total over every task type; never sum rows across task types. Pass rate = passed / judged batches.';
comment on column mart.pass_rate_by_product.period_type is
    'month | year: the length of the period starting at period_start.';
comment on column mart.pass_rate_by_product.period_start is
    'First day of the calendar month or year of the sampling date.';
comment on column mart.pass_rate_by_product.task_type is
    'routine_monitoring | supervisory_sampling | special_campaign | rapid_test, or ''all'' = total over every task type. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with task_type <> ''all'' before summing.';
comment on column mart.pass_rate_by_product.product_category is
    'vegetables | fruits | tea | livestock | eggs | aquatic; ''unknown'' when not classified.';
comment on column mart.pass_rate_by_product.product_code is
    'Product reference code of the sampled product; ''unknown'' when the sampled name could not be coded.';
comment on column mart.pass_rate_by_product.product_name is
    'Product name: the most frequent sampled name for a coded product, the name as sampled otherwise.';
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
