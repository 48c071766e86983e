-- summary.producer_batches_daily for the days in pg_temp.touched_days. A batch failed for a banned
-- substance has a failed item whose limit is a ban.
insert into summary.producer_batches_daily
select
    b.sampling_date,
    b.producer_id,
    count(*) as sampled,
    count(*) filter (where b.batch_verdict in ('pass', 'fail')) as judged,
    count(*) filter (where b.batch_verdict = 'fail') as failed,
    count(*) filter (where exists (
        select 1 from core.inspection_results as r
         where r.batch_no = b.batch_no and r.verdict = 'fail' and r.limit_kind = 'banned'
    )) as banned_failed,
    count(*) filter (where b.batch_verdict = 'positive_unconfirmed') as unconfirmed
from core.sampling_batches as b
where b.sampling_date in (select day from touched_days) and b.producer_id is not null
group by 1, 2
