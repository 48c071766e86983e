-- mart.pass_rate_by_town: batch pass rates per town (乡镇), per month and per year.
--
-- Grain: one row per period × task_type × region_code × town; rows sum freely. The totals over
-- every task type are in the view pass_rate_by_town_totals. The town is the sampled producer's;
-- market samples without a known producer fall in town 'unknown'. The region is where the batch was sampled, else the producer's county.
-- Personal data: a phone or ID number in the town (a row whose values shifted) is masked by
-- ops.mask_personal before grouping.
-- A view over summary.batches_daily (the town is masked here, before grouping).
create view mart.pass_rate_by_town as

with

daily as (

    select
        task_type,
        region_code,
        ops.mask_personal(town) as town,
        sampling_date,
        passed,
        failed,
        unconfirmed

    from summary.batches_daily

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
        region_code,
        town,
        sum(passed + failed)::bigint as batches,
        sum(passed)::bigint as passed_batches,
        sum(failed)::bigint as failed_batches,
        sum(unconfirmed)::bigint as unconfirmed_batches

    from periods
    group by period_type, period_start, task_type, region_code, town

),

final as (

    select
        -- period
        period_type,
        period_start,
        -- dimensions
        task_type,
        region_code,
        town,
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

comment on view mart.pass_rate_by_town is
    'Batch pass rates per town (乡镇) per month and per year, by task type. Sum the counts freely; the totals over every task type are in the view pass_rate_by_town_totals. Pass rate = passed / judged batches.';
comment on column mart.pass_rate_by_town.period_type is
    'month | year: the length of the period starting at period_start.';
comment on column mart.pass_rate_by_town.period_start is
    'First day of the calendar month or year of the sampling date.';
comment on column mart.pass_rate_by_town.task_type is
    'routine_monitoring | supervisory_sampling | special_campaign | rapid_test.';
comment on column mart.pass_rate_by_town.region_code is
    '6-digit county code where the batch was sampled, else the producer''s county; ''unknown'' when neither is known.';
comment on column mart.pass_rate_by_town.town is
    'Town (乡镇/街道) of the sampled producer; ''unknown'' for batches without a known producer or town. Phone and ID numbers in it are masked (ops.mask_personal).';
comment on column mart.pass_rate_by_town.batches is
    'Judged batches (batch_verdict pass or fail): the denominator of the pass rate.';
comment on column mart.pass_rate_by_town.passed_batches is
    'Batches whose every test item passed.';
comment on column mart.pass_rate_by_town.failed_batches is
    'Batches with at least one failed test item.';
comment on column mart.pass_rate_by_town.unconfirmed_batches is
    'Batches with an unconfirmed rapid-test positive: not judged, not in batches.';
comment on column mart.pass_rate_by_town.pass_rate_pct is
    'passed_batches / batches × 100, 2 decimals; null when no batch was judged.';
comment on column mart.pass_rate_by_town.wilson_low_pct is
    'Lower bound of the 95% Wilson score interval of the pass rate, percent, 2 decimals.';
comment on column mart.pass_rate_by_town.wilson_high_pct is
    'Upper bound of the 95% Wilson score interval of the pass rate, percent, 2 decimals.';
