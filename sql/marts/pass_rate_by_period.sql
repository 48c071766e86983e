-- mart.pass_rate_by_period: batch pass rates per month, quarter and year (totals: the view pass_rate_by_period_totals).
--
-- Grain: one row per period × task_type × sampling_level × region_code × product_category. Rows
-- sum freely; the totals over any of the four dimensions are in the view pass_rate_by_period_totals.
-- Pass rate = passed ÷ judged batches (contract "Judgement rules"); a batch with an unconfirmed
-- rapid-test positive or no results yet is not judged and is counted in its own column.
-- A view over summary.batches_daily (kept up to date by refresh_marts for the days each load touched).
create view mart.pass_rate_by_period as

with

daily as (

    select * from summary.batches_daily

),

periods as (

    select
        period.period_type,
        date_trunc(period.period_type, daily.sampling_date)::date as period_start,
        daily.*

    from daily
    cross join (values ('month'), ('quarter'), ('year')) as period (period_type)

),

aggregated as (

    select
        period_type,
        period_start,
        task_type,
        sampling_level,
        region_code,
        product_category,
        sum(passed + failed)::bigint as batches,
        sum(passed)::bigint as passed_batches,
        sum(failed)::bigint as failed_batches,
        sum(unconfirmed)::bigint as unconfirmed_batches,
        sum(pending)::bigint as pending_batches

    from periods
    group by period_type, period_start, task_type, sampling_level, region_code, product_category

),

final as (

    select
        -- period
        period_type,
        period_start,
        -- dimensions
        task_type,
        sampling_level,
        region_code,
        product_category,
        -- measures
        batches,
        passed_batches,
        failed_batches,
        unconfirmed_batches,
        pending_batches,
        round(100.0 * passed_batches / nullif(batches, 0), 2) as pass_rate_pct,
        mart.wilson_low_pct(passed_batches, batches) as wilson_low_pct,
        mart.wilson_high_pct(passed_batches, batches) as wilson_high_pct

    from aggregated

)

select * from final;

comment on view mart.pass_rate_by_period is
    'Batch pass rates per month, quarter and year by task type, sampling level, region and product category. Each batch is in one row per period type: sum the counts freely (recompute the rate from the sums). Totals over any dimension: the view pass_rate_by_period_totals. Pass rate = passed / judged batches.';
comment on column mart.pass_rate_by_period.period_type is
    'month | quarter | year: the length of the period starting at period_start.';
comment on column mart.pass_rate_by_period.period_start is
    'First day of the period (calendar month, quarter or year of the sampling date).';
comment on column mart.pass_rate_by_period.task_type is
    'routine_monitoring 例行监测 | supervisory_sampling 监督抽查 | special_campaign 专项整治 | rapid_test 快速检测.';
comment on column mart.pass_rate_by_period.sampling_level is
    'district 区县 | city 市 | province 省 | national 国家.';
comment on column mart.pass_rate_by_period.region_code is
    '6-digit county code where the sample was taken (the producer''s county when the batch has none; ''unknown'' when neither is known).';
comment on column mart.pass_rate_by_period.product_category is
    'vegetables | fruits | tea | livestock | eggs | aquatic (''unknown'' when not classified).';
comment on column mart.pass_rate_by_period.batches is
    'Judged batches: batch_verdict pass or fail. The denominator of the pass rate.';
comment on column mart.pass_rate_by_period.passed_batches is
    'Batches whose every test item passed.';
comment on column mart.pass_rate_by_period.failed_batches is
    'Batches with at least one failed test item (MRL exceeded or banned substance detected).';
comment on column mart.pass_rate_by_period.unconfirmed_batches is
    'Batches with a rapid-test positive not yet confirmed by a lab: reported here, not judged, not in batches.';
comment on column mart.pass_rate_by_period.pending_batches is
    'Batches sampled whose results have not arrived: not judged, not in batches.';
comment on column mart.pass_rate_by_period.pass_rate_pct is
    'passed_batches / batches × 100, 2 decimals; null when no batch was judged.';
comment on column mart.pass_rate_by_period.wilson_low_pct is
    'Lower bound of the 95% Wilson score interval of the pass rate (z = 1.96), percent, 2 decimals.';
comment on column mart.pass_rate_by_period.wilson_high_pct is
    'Upper bound of the 95% Wilson score interval of the pass rate (z = 1.96), percent, 2 decimals.';
