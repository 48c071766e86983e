-- mart.pass_rate_by_town: batch pass rates per town (乡镇), per month and per year.
--
-- Grain: one row per period × task_type × region_code × town. task_type has the roll-up value
-- 'all'. The town is the sampled producer's; market samples without a known producer fall in
-- town 'unknown'. The region is where the batch was sampled, else the producer's county.
-- Personal data: a phone or ID number in the town (a row whose values shifted) is masked by
-- ops.mask_personal before grouping.
create materialized view mart.pass_rate_by_town as

with

source_batches as (

    select * from core.sampling_batches

),

source_producers as (

    select * from core.producers

),

batches as (

    select
        -- dimensions
        b.task_type,
        coalesce(b.region_code, p.region_code, 'unknown') as region_code,
        coalesce(ops.mask_personal(p.town), 'unknown') as town,
        -- dates
        b.sampling_date,
        -- verdict
        b.batch_verdict

    from source_batches as b
    left join source_producers as p using (producer_id)

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
        region_code,
        town,
        count(*) filter (where batch_verdict in ('pass', 'fail')) as batches,
        count(*) filter (where batch_verdict = 'pass') as passed_batches,
        count(*) filter (where batch_verdict = 'fail') as failed_batches,
        count(*) filter (where batch_verdict = 'positive_unconfirmed') as unconfirmed_batches

    from periods
    group by period_type, period_start, region_code, town, grouping sets ((task_type), ())

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

create unique index pass_rate_by_town_key on mart.pass_rate_by_town
    (period_type, period_start, task_type, region_code, town);

comment on materialized view mart.pass_rate_by_town is
    'Batch pass rates per town (乡镇) per month and per year. task_type = ''all'' is the total over every task type; never sum rows across task types. Pass rate = passed / judged batches.';
comment on column mart.pass_rate_by_town.period_type is
    'month | year: the length of the period starting at period_start.';
comment on column mart.pass_rate_by_town.period_start is
    'First day of the calendar month or year of the sampling date.';
comment on column mart.pass_rate_by_town.task_type is
    'routine_monitoring | supervisory_sampling | special_campaign | rapid_test, or ''all'' = total over every task type. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with task_type <> ''all'' before summing.';
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
