-- summary.batches_daily for the days in pg_temp.touched_days (see V019 and agritrace.marts.refresh).
insert into summary.batches_daily
select
    b.sampling_date,
    b.task_type,
    b.sampling_level,
    coalesce(b.region_code, p.region_code, 'unknown') as region_code,
    coalesce(p.town, 'unknown') as town,
    coalesce(b.product_category, 'unknown') as product_category,
    count(*) as sampled,
    count(*) filter (where b.batch_verdict = 'pass') as passed,
    count(*) filter (where b.batch_verdict = 'fail') as failed,
    count(*) filter (where b.batch_verdict = 'positive_unconfirmed') as unconfirmed,
    count(*) filter (where b.batch_verdict is null) as pending
from core.sampling_batches as b
left join core.producers as p using (producer_id)
where b.sampling_date in (select day from touched_days)
group by 1, 2, 3, 4, 5, 6
