-- mart.pass_rate_by_period_totals: the totals of mart.pass_rate_by_period over any of its dimensions.
--
-- Grain: one row per period and combination of task_type × sampling_level × region_code ×
-- product_category where at least one of the four is the literal 'all' (the total over that
-- dimension; CUBE over the detail rows without the detail itself). Read a total by filtering the
-- other dimensions; never sum these rows with each other or with the detail.
create view mart.pass_rate_by_period_totals as

with

detail as (

    select * from mart.pass_rate_by_period

),

aggregated as (

    select
        period_type,
        period_start,
        case when grouping(task_type) = 1 then 'all' else task_type end as task_type,
        case when grouping(sampling_level) = 1 then 'all' else sampling_level end as sampling_level,
        case when grouping(region_code) = 1 then 'all' else region_code end as region_code,
        case when grouping(product_category) = 1 then 'all' else product_category end as product_category,
        sum(batches)::bigint as batches,
        sum(passed_batches)::bigint as passed_batches,
        sum(failed_batches)::bigint as failed_batches,
        sum(unconfirmed_batches)::bigint as unconfirmed_batches,
        sum(pending_batches)::bigint as pending_batches

    from detail
    group by period_type, period_start, cube (task_type, sampling_level, region_code, product_category)
    having grouping(task_type, sampling_level, region_code, product_category) <> 0

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

comment on view mart.pass_rate_by_period_totals is
    'Totals of mart.pass_rate_by_period: batch pass rates per period over every value of one or more of task type, sampling level, region and product category (the literal ''all'' in those columns), e.g. task_type = ''supervisory_sampling'' and sampling_level = ''all'' and region_code = ''all'' and product_category = ''all'' for province and city together. Every row is a total: filter, never sum. Pass rate = passed / judged batches.';
comment on column mart.pass_rate_by_period_totals.period_type is
    'month | quarter | year: the length of the period starting at period_start.';
comment on column mart.pass_rate_by_period_totals.period_start is
    'First day of the period (calendar month, quarter or year of the sampling date).';
comment on column mart.pass_rate_by_period_totals.task_type is
    'routine_monitoring 例行监测 | supervisory_sampling 监督抽查 | special_campaign 专项整治 | rapid_test 快速检测, or ''all'' = total over every task type. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with task_type <> ''all'' before summing.';
comment on column mart.pass_rate_by_period_totals.sampling_level is
    'district 区县 | city 市 | province 省 | national 国家, or ''all'' = total over every level. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with sampling_level <> ''all'' before summing.';
comment on column mart.pass_rate_by_period_totals.region_code is
    '6-digit county code where the sample was taken (the producer''s county when the batch has none; ''unknown'' when neither is known), or ''all'' = total over every region. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with region_code <> ''all'' before summing.';
comment on column mart.pass_rate_by_period_totals.product_category is
    'vegetables | fruits | tea | livestock | eggs | aquatic (''unknown'' when not classified), or ''all'' = total over every category. ROLL-UP FLAG: a row with ''all'' here is a total over this column; keep only rows with product_category <> ''all'' before summing.';
comment on column mart.pass_rate_by_period_totals.batches is
    'Judged batches: batch_verdict pass or fail. The denominator of the pass rate.';
comment on column mart.pass_rate_by_period_totals.passed_batches is
    'Batches whose every test item passed.';
comment on column mart.pass_rate_by_period_totals.failed_batches is
    'Batches with at least one failed test item (MRL exceeded or banned substance detected).';
comment on column mart.pass_rate_by_period_totals.unconfirmed_batches is
    'Batches with a rapid-test positive not yet confirmed by a lab: reported here, not judged, not in batches.';
comment on column mart.pass_rate_by_period_totals.pending_batches is
    'Batches sampled whose results have not arrived: not judged, not in batches.';
comment on column mart.pass_rate_by_period_totals.pass_rate_pct is
    'passed_batches / batches × 100, 2 decimals; null when no batch was judged.';
comment on column mart.pass_rate_by_period_totals.wilson_low_pct is
    'Lower bound of the 95% Wilson score interval of the pass rate (z = 1.96), percent, 2 decimals.';
comment on column mart.pass_rate_by_period_totals.wilson_high_pct is
    'Upper bound of the 95% Wilson score interval of the pass rate (z = 1.96), percent, 2 decimals.';
