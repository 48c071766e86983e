-- mart.pass_rate_by_product_totals: the totals of mart.pass_rate_by_product over every task type.
--
-- Grain: one row per period × product, task_type the literal 'all'. Every row is a total over the
-- task types of mart.pass_rate_by_product; never sum it with those rows.
create view mart.pass_rate_by_product_totals as

with

detail as (

    select * from mart.pass_rate_by_product

),

aggregated as (

    select
        period_type,
        period_start,
        'all'::text as task_type,
        product_category,
        product_code,
        product_name,
        sum(batches)::bigint as batches,
        sum(passed_batches)::bigint as passed_batches,
        sum(failed_batches)::bigint as failed_batches,
        sum(unconfirmed_batches)::bigint as unconfirmed_batches

    from detail
    group by period_type, period_start, product_category, product_code, product_name

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

comment on view mart.pass_rate_by_product_totals is
    'Totals of mart.pass_rate_by_product over every task type (task_type = ''all''): batch pass rates per product per month and per year. Every row is a total: never sum it with mart.pass_rate_by_product. Pass rate = passed / judged batches.';
comment on column mart.pass_rate_by_product_totals.period_type is
    'month | year: the length of the period starting at period_start.';
comment on column mart.pass_rate_by_product_totals.period_start is
    'First day of the calendar month or year of the sampling date.';
comment on column mart.pass_rate_by_product_totals.task_type is
    'routine_monitoring | supervisory_sampling | special_campaign | rapid_test, or ''all'' = total over every task type. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with task_type <> ''all'' before summing.';
comment on column mart.pass_rate_by_product_totals.product_category is
    'vegetables | fruits | tea | livestock | eggs | aquatic; ''unknown'' when not classified.';
comment on column mart.pass_rate_by_product_totals.product_code is
    'Product reference code of the sampled product; ''unknown'' when the sampled name could not be coded.';
comment on column mart.pass_rate_by_product_totals.product_name is
    'Product name: the most frequent sampled name of a coded product in the period (over every task type), the name as sampled otherwise.';
comment on column mart.pass_rate_by_product_totals.batches is
    'Judged batches (batch_verdict pass or fail): the denominator of the pass rate.';
comment on column mart.pass_rate_by_product_totals.passed_batches is
    'Batches whose every test item passed.';
comment on column mart.pass_rate_by_product_totals.failed_batches is
    'Batches with at least one failed test item.';
comment on column mart.pass_rate_by_product_totals.unconfirmed_batches is
    'Batches with an unconfirmed rapid-test positive: not judged, not in batches.';
comment on column mart.pass_rate_by_product_totals.pass_rate_pct is
    'passed_batches / batches × 100, 2 decimals; null when no batch was judged.';
comment on column mart.pass_rate_by_product_totals.wilson_low_pct is
    'Lower bound of the 95% Wilson score interval of the pass rate, percent, 2 decimals.';
comment on column mart.pass_rate_by_product_totals.wilson_high_pct is
    'Upper bound of the 95% Wilson score interval of the pass rate, percent, 2 decimals.';
