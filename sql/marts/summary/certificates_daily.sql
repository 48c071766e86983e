-- summary.certificates_daily for the days in pg_temp.touched_days.
insert into summary.certificates_daily
select
    issue_date,
    producer_id,
    coalesce(product_category, 'unknown') as product_category,
    count(*) as certificates,
    coalesce(sum(quantity_kg), 0) as quantity_kg,
    count(*) filter (where quantity_kg is null) as certificates_counted_units,
    count(*) filter (where 'quality_control' = any (commitment_basis)) as certificates_quality_control,
    count(*) filter (where 'self_test' = any (commitment_basis)) as certificates_self_test,
    count(*) filter (where 'commissioned_test' = any (commitment_basis)) as certificates_commissioned_test
from core.certificates
where issue_date in (select day from touched_days)
group by 1, 2, 3
