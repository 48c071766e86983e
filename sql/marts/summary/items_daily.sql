-- summary.items_daily for the days in pg_temp.touched_days (an item's day is its batch's).
insert into summary.items_daily
select
    b.sampling_date,
    r.test_kind,
    r.analyte_code,
    r.analyte_name,
    coalesce(b.product_category, 'unknown') as product_category,
    b.product_code,
    b.product_name,
    count(*) as tested,
    count(*) filter (where not r.is_nondetect) as detected,
    count(*) filter (where r.verdict = 'fail' and r.limit_kind = 'mrl') as exceeded,
    count(*) filter (where r.verdict = 'fail' and r.limit_kind = 'banned') as banned_detected,
    count(*) filter (where r.verdict = 'positive_unconfirmed') as unconfirmed,
    max(r.ratio_to_limit) as max_ratio_to_limit,
    max(r.value_mg_kg) filter (where not r.is_nondetect) as max_value
from core.inspection_results as r
inner join core.sampling_batches as b using (batch_no)
where b.sampling_date in (select day from touched_days)
group by 1, 2, 3, 4, 5, 6, 7
