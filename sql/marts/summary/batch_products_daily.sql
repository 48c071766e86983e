-- summary.batch_products_daily for the days in pg_temp.touched_days.
insert into summary.batch_products_daily
select
    sampling_date,
    task_type,
    coalesce(product_category, 'unknown') as product_category,
    product_code,
    product_name,
    count(*) as sampled,
    count(*) filter (where batch_verdict = 'pass') as passed,
    count(*) filter (where batch_verdict = 'fail') as failed,
    count(*) filter (where batch_verdict = 'positive_unconfirmed') as unconfirmed
from core.sampling_batches
where sampling_date in (select day from touched_days)
group by 1, 2, 3, 4, 5
